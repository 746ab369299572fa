package main

import (
	"bytes"
	"context"
	"testing"
	"time"
)

func TestApp(t *testing.T) {
	var out bytes.Buffer
	app := newApp(&out)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case sig := <-app.Wait():
		if sig.ExitCode != 0 {
			t.Errorf("exit code %d, want 0", sig.ExitCode)
		}
	case <-ctx.Done():
		t.Fatal("the app did not shut down after the job finished")
	}
	if err := app.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	want := "tick 1 as leader (term 1)\ntick 2 as leader (term 1)\ntick 3 as leader (term 1)\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}
