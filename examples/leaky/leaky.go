// Package leaky shows the goroutine leaks gofixleak finds and fixes.
package leaky

import (
	"errors"
	"fmt"
	"time"
)

func send(addr string) error {
	if addr == "" {
		return errors.New("empty address")
	}
	return nil
}

// Broadcast returns on the first error: every later sender blocks forever on errc.
func Broadcast(addrs []string) error {
	errc := make(chan error)
	for _, addr := range addrs {
		go func(addr string) {
			errc <- send(addr)
		}(addr)
	}
	for range addrs {
		if err := <-errc; err != nil {
			return err
		}
	}
	return nil
}

// Countdown leaks its ticker when it returns (before Go 1.23).
func Countdown(abort <-chan struct{}) bool {
	tick := time.Tick(10 * time.Millisecond)
	for countdown := 3; countdown > 0; countdown-- {
		fmt.Println(countdown)
		select {
		case <-tick:
		case <-abort:
			return false
		}
	}
	return true
}

// Wait starts a goroutine that waits for a value nobody sends.
func Wait() {
	ch := make(chan int)
	go func() {
		fmt.Println(<-ch)
	}()
}
