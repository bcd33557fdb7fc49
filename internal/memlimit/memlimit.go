// Package memlimit keeps sizes that come from input data or a spec from
// turning into allocations the machine cannot hold: before a kernel or an
// estimator allocates arrays sized by a vector's dimension, a vocabulary
// or a class count, it asks Check, which compares an estimate of the bytes
// with what this process can still use and refuses with an error that
// states both — instead of the runtime dying with "fatal error: out of
// memory" (which no caller can handle) or the kernel's OOM killer.
//
// What is available is the smallest of: the system's MemAvailable
// (/proc/meminfo), the cgroup's memory.max less its memory.current, and a
// Go memory limit (GOMEMLIMIT, debug.SetMemoryLimit) less what the Go
// runtime already holds.
package memlimit

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
)

// Error is an allocation refused for want of memory.
type Error struct {
	// What is being sized, e.g. "LogisticRegression: 2147483647
	// features × 2 classes".
	What      string
	Need      int64
	Available int64
	// Hint says how to make it smaller, e.g. "use fewer features
	// (HashingTF numFeatures)".
	Hint string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s would need about %s of memory; this machine has %s available", e.What, Bytes(e.Need), Bytes(e.Available))
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

// Check returns an *Error when need bytes do not fit in what the process
// can still use. need is an estimate; callers count every copy that is
// alive at once (per-worker partials, optimizer history).
func Check(what string, need int64, hint string) error {
	if need <= 0 {
		return nil
	}
	if avail := Available(); need > avail {
		return &Error{What: what, Need: need, Available: avail, Hint: hint}
	}
	return nil
}

// Floats returns the bytes of n float64s, saturating instead of
// overflowing.
func Floats(n ...int64) int64 {
	total := float64(8)
	for _, x := range n {
		total *= float64(x)
	}
	if total > math.MaxInt64/2 {
		return math.MaxInt64 / 2
	}
	return int64(total)
}

// Workers is how many partial results of a pass are alive at once on
// this machine: one per core, and the one being merged into.
func Workers() int64 { return int64(runtime.GOMAXPROCS(0)) + 1 }

// Available returns the bytes this process can still allocate.
func Available() int64 {
	avail := int64(math.MaxInt64)
	if v, ok := meminfo("MemAvailable"); ok {
		avail = min(avail, v)
	}
	if max, ok := readInt("/sys/fs/cgroup/memory.max"); ok {
		cur, _ := readInt("/sys/fs/cgroup/memory.current")
		avail = min(avail, max-cur)
	}
	if limit := debug.SetMemoryLimit(-1); limit < math.MaxInt64 {
		s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
		metrics.Read(s)
		used := int64(0)
		if s[0].Value.Kind() == metrics.KindUint64 {
			used = int64(s[0].Value.Uint64())
		}
		avail = min(avail, limit-used)
	}
	return max(avail, 0)
}

// meminfo reads one field of /proc/meminfo, in bytes.
func meminfo(field string) (int64, bool) {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return 0, false
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		return kb * 1024, err == nil
	}
	return 0, false
}

func readInt(path string) (int64, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	return v, err == nil // "max" (no limit) does not parse
}

// Bytes writes n in binary units: "512 MiB", "16.0 GiB".
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f := float64(n)
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB", "PiB"} {
		f /= unit
		if f < unit || u == "PiB" {
			if f >= 100 {
				return fmt.Sprintf("%.0f %s", f, u)
			}
			return fmt.Sprintf("%.1f %s", f, u)
		}
	}
	return fmt.Sprintf("%d B", n)
}
