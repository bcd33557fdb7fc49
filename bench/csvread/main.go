// Command csvread is the CSV read benchmark: "gen" writes a numeric CSV
// with a fixed seed; "read" parses one into a Spindle table and prints the
// row count, throughput and peak RSS. bench/csvread/run.sh compares it with
// pandas.read_csv on the same file.
package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/spindle-ml/spindle/engine/beam"
	"github.com/spindle-ml/spindle/format/csv"
	"github.com/spindle-ml/spindle/internal/colfile"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

func main() {
	if beam.IsWorker(os.Args[1:]) { // a Beam worker of "splits"
		os.Exit(beam.RunWorker())
	}
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: csvread gen|read|splits [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "read":
		err = read(os.Args[2:])
	case "splits":
		err = splits(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "csvread:", err)
		os.Exit(1)
	}
}

func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	rows := fs.Int("rows", 1_000_000, "rows")
	cols := fs.Int("cols", 28, "columns")
	seed := fs.Uint64("seed", 42, "random seed")
	out := fs.String("o", "bench.csv", "output file")
	fs.Parse(args)
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	r := rand.New(rand.NewPCG(*seed, *seed^0x5eed))
	for j := 0; j < *cols; j++ {
		if j > 0 {
			w.WriteByte(',')
		}
		fmt.Fprintf(w, "c%d", j)
	}
	w.WriteByte('\n')
	var buf []byte
	for i := 0; i < *rows; i++ {
		for j := 0; j < *cols; j++ {
			if j > 0 {
				w.WriteByte(',')
			}
			// Mixed magnitudes and signs, 6 significant digits, like
			// typical exported features (~9 bytes a field).
			v := r.NormFloat64() * 100
			buf = strconv.AppendFloat(buf[:0], v, 'f', 5, 64)
			w.Write(buf)
		}
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func read(args []string) error {
	fs := flag.NewFlagSet("read", flag.ExitOnError)
	fs.Parse(args)
	if fs.NArg() != 1 {
		return fmt.Errorf("read needs one file")
	}
	ctx := context.Background()
	st := storage.New(storage.Options{})
	srcs, err := st.Sources(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	start := time.Now()
	t, _, err := csv.Read(ctx, srcs, csv.Options{})
	if err != nil {
		return err
	}
	el := time.Since(start)
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	mb := float64(srcs[0].Size()) / 1e6
	fmt.Printf("rows=%d cols=%d partitions=%d seconds=%.3f MB/s=%.0f peak_rss_MB=%.0f\n",
		t.Count(), t.Schema().Len(), t.NumPartitions(), el.Seconds(), mb/el.Seconds(), float64(ru.Maxrss)/1024)
	return nil
}

// splits reads a file with the embedded reader and with the split reader
// on a Beam engine (a standalone job server with -endpoint, else prism in
// this process) and compares them: the same partitions, byte for byte, or
// the same error. It prints each side's rows, partitions, digest and time.
func splits(args []string) error {
	fs := flag.NewFlagSet("splits", flag.ExitOnError)
	endpoint := fs.String("endpoint", "", "job server HOST:PORT (empty: prism in this process)")
	pool := fs.String("pool", "localhost:50000", "worker pool for -endpoint (EXTERNAL environment)")
	staging := fs.String("staging", "", "staging directory (default: a temporary one)")
	fs.Parse(args)
	if fs.NArg() != 1 {
		return fmt.Errorf("splits needs one file")
	}
	ctx := context.Background()
	st := storage.New(storage.Options{})
	srcs, err := st.Sources(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	digest := func(parts []*table.Batch) (string, error) {
		h := sha256.New()
		for _, p := range parts {
			if err := colfile.Encode(h, p); err != nil {
				return "", err
			}
		}
		return hex.EncodeToString(h.Sum(nil))[:16], nil
	}
	report := func(name string, start time.Time, t *table.Table, err error) (string, error) {
		if err != nil {
			fmt.Printf("%-8s error after %.1f s: %v\n", name, time.Since(start).Seconds(), err)
			return "error: " + err.Error(), nil
		}
		d, err := digest(t.Partitions())
		if err != nil {
			return "", err
		}
		fmt.Printf("%-8s rows=%d partitions=%d digest=%s seconds=%.1f\n", name, t.Count(), t.NumPartitions(), d, time.Since(start).Seconds())
		return fmt.Sprintf("%d %s", t.Count(), d), nil
	}
	start := time.Now()
	t, _, rerr := csv.Read(ctx, srcs, csv.Options{})
	want, err := report("embedded", start, t, rerr)
	if err != nil {
		return err
	}
	t = nil
	e := &beam.Engine{Staging: *staging}
	if *endpoint != "" {
		e.Runner = beam.Runner{Name: "prism", Endpoint: *endpoint, EnvironmentType: "EXTERNAL", EnvironmentConfig: *pool}
	}
	defer e.Close()
	start = time.Now()
	ds, _, serr := csv.ReadSplits(ctx, e, st, srcs, csv.Options{})
	var got *table.Table
	if serr == nil {
		got, serr = e.Collect(ctx, ds)
	}
	have, err := report("splits", start, got, serr)
	if err != nil {
		return err
	}
	if have != want {
		return fmt.Errorf("the split read differs from the embedded read")
	}
	fmt.Println("same")
	return nil
}
