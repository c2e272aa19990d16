package leaky

import "testing"

func TestBroadcast(t *testing.T) {
	if err := Broadcast([]string{"", ""}); err == nil {
		t.Fatal("empty addresses: want an error")
	}
}

func TestCountdown(t *testing.T) {
	abort := make(chan struct{})
	close(abort)
	if Countdown(abort) {
		t.Fatal("an aborted countdown finished")
	}
}

func TestWait(t *testing.T) {
	Wait()
}
