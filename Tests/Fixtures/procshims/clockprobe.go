// Test fixture for the process-scope clock skew on a Go binary (Go reads the clock
// through the vDSO itself, without libc). For each line on stdin prints:
//   unix_seconds monotonic_nanoseconds_since_start
package main

import (
	"bufio"
	"fmt"
	"os"
	"time"
)

func main() {
	start := time.Now()
	go func() {
		for {
			_ = time.Now()
			time.Sleep(time.Millisecond)
		}
	}()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		now := time.Now()
		fmt.Printf("%d %d\n", now.Unix(), now.Sub(start).Nanoseconds())
	}
}
