package main

import (
	"bytes"
	"context"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	want := "a leads with term 1\n" +
		"b leads with term 2 and writes\n" +
		"a's late write: write \"from a, after its pause\" with term 1: refused: a newer term has written (term 2)\n" +
		"stored value: \"from b\"\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}
