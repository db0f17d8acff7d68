package ctxsleep

import (
	"context"
	"testing"
	"time"
)

func TestSleepWaitsTheDelay(t *testing.T) {
	start := time.Now()
	if !Sleep(context.Background(), 20*time.Millisecond) {
		t.Fatal("Sleep on a live context reported that it ended")
	}
	if el := time.Since(start); el < 20*time.Millisecond {
		t.Fatalf("Sleep returned after %v, before its 20ms", el)
	}
}

func TestSleepEndsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Sleep(ctx, time.Hour) {
		t.Fatal("Sleep on an ended context reported the delay passed")
	}
}

func TestSleepOrWakeEndsOnWake(t *testing.T) {
	wake := make(chan struct{})
	close(wake)
	if !SleepOrWake(context.Background(), time.Hour, wake) {
		t.Fatal("SleepOrWake with a closed wake channel reported the context ended")
	}
}
