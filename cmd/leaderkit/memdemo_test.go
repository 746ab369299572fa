package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// The demo narrates three leaders with increasing terms, and the cut-off
// leader stops before the next one leads.
func TestMemoryDemoHandsOverAndTakesOver(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := demoMemory(ctx, &out); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	text := out.String()
	leads := regexp.MustCompile(`\] (\w+) leads \(term (\d+)\)`).FindAllStringSubmatch(text, -1)
	if len(leads) != 3 {
		t.Fatalf("%d leaders in the narration, want 3:\n%s", len(leads), text)
	}
	var last uint64
	for _, m := range leads {
		term, _ := strconv.ParseUint(m[2], 10, 64)
		if term <= last {
			t.Errorf("term %d follows %d:\n%s", term, last, text)
		}
		last = term
	}
	cutOff := leads[1][1]
	stop := regexp.MustCompile(cutOff + ` stopped leading \(term \d+\): lock: leadership lost`).FindStringIndex(text)
	takeover := regexp.MustCompile(leads[2][1] + ` leads`).FindStringIndex(text)
	if stop == nil || takeover == nil || stop[0] > takeover[0] {
		t.Errorf("the cut-off leader %s must report its loss before %s leads:\n%s", cutOff, leads[2][1], text)
	}
}
