// Command serve load-tests 'spindle serve': it starts the server as a
// child process on loopback with a saved model, then drives it with a
// bounded closed-loop load generator (a fixed number of clients, each
// sending its next request when the last is answered) for fixed times:
//
//   - single-row requests: requests/s and p50/p90/p99/max latency;
//   - batched requests: rows/s;
//   - optionally a soak: single-row load for -soak while the server's RSS
//     is sampled, to show it stays flat.
//
// Rows are the example corpus's texts in order, each request the next row.
// Every answer is checked (status 200, one prediction per row); any other
// answer counts as an error.
//
//	go build -o bench/out/serve ./bench/serve
//	bench/out/serve -model out/spam/models/tfidf -data examples/spam/data/spam.csv [-soak 5m]
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spindle-ml/spindle/format"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

func main() {
	model := flag.String("model", "out/spam/models/tfidf", "saved model to serve")
	data := flag.String("data", "examples/spam/data/spam.csv", "CSV whose text column makes the requests")
	bin := flag.String("spindle", "bin/spindle", "the spindle binary")
	single := flag.Duration("single", 20*time.Second, "single-row phase length")
	clients := flag.Int("clients", 8, "concurrent clients in the single-row phase")
	batch := flag.Duration("batch", 10*time.Second, "batched phase length")
	batchRows := flag.Int("batch-rows", 500, "rows per batched request")
	batchClients := flag.Int("batch-clients", 2, "concurrent clients in the batched phase")
	soak := flag.Duration("soak", 0, "soak phase length (single-row load, RSS sampled)")
	maxLen := flag.Int("max-text", 0, "if > 0, cut each text to this many bytes")
	profile := flag.String("cpuprofile", "", "have the server write a CPU profile here")
	flag.Parse()
	log.SetFlags(0)

	texts, err := readTexts(*data, *maxLen)
	if err != nil {
		log.Fatal(err)
	}
	var mean int
	for _, t := range texts {
		mean += len(t)
	}
	mean /= len(texts)
	cmd, url, err := startServer(*bin, *model, *profile)
	if err != nil {
		log.Fatal(err)
	}
	exited := false
	defer func() {
		if !exited {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	fmt.Printf("model %s, %d rows of %s (mean %d bytes of text), server pid %d on %s, GOMAXPROCS %s\n",
		*model, len(texts), *data, mean, cmd.Process.Pid, url, os.Getenv("GOMAXPROCS"))
	predict := url + "/v1/models/" + modelName(*model) + ":predict"

	one := make([][]byte, len(texts))
	for i, t := range texts {
		one[i], _ = json.Marshal(map[string]string{"text": t})
	}
	// Warm up: every row once.
	if r := load(predict, one, 1, 2, 0, len(one)); r.errors > 0 {
		log.Fatalf("warm-up: %d errors; first: %s", r.errors, r.firstErr)
	}
	r := load(predict, one, 1, *clients, *single, 0)
	fmt.Printf("single-row: %d clients, %.1f s: %d requests, %.0f requests/s, latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms, errors %d\n",
		*clients, r.seconds, r.requests, float64(r.requests)/r.seconds, ms(r.pct(50)), ms(r.pct(90)), ms(r.pct(99)), ms(r.pct(100)), r.errors)

	var batches [][]byte
	for lo := 0; lo+*batchRows <= len(texts); lo += *batchRows {
		var b bytes.Buffer
		b.WriteByte('[')
		for i := lo; i < lo+*batchRows; i++ {
			if i > lo {
				b.WriteByte(',')
			}
			b.Write(one[i])
		}
		b.WriteByte(']')
		batches = append(batches, b.Bytes())
	}
	r = load(predict, batches, *batchRows, *batchClients, *batch, 0)
	fmt.Printf("batched: %d rows per request, %d clients, %.1f s: %d requests, %.0f rows/s, latency p50 %.1f ms, p99 %.1f ms, errors %d\n",
		*batchRows, *batchClients, r.seconds, r.requests, float64(r.requests**batchRows)/r.seconds, ms(r.pct(50)), ms(r.pct(99)), r.errors)
	fmt.Printf("server RSS after the phases: %.1f MiB\n", float64(rss(cmd.Process.Pid))/(1<<20))

	if *soak > 0 {
		var samples []int64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			t := time.NewTicker(10 * time.Second)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					samples = append(samples, rss(cmd.Process.Pid))
				}
			}
		})
		r = load(predict, one, 1, *clients, *soak, 0)
		close(stop)
		wg.Wait()
		mib := func(v int64) string { return fmt.Sprintf("%.1f", float64(v)/(1<<20)) }
		var all []string
		for _, s := range samples {
			all = append(all, mib(s))
		}
		first, last := samples[min(5, len(samples)-1)], samples[len(samples)-1]
		fmt.Printf("soak: %.0f s of single-row load, %d requests, %.0f requests/s, p99 %.2f ms, errors %d\n", r.seconds, r.requests, float64(r.requests)/r.seconds, ms(r.pct(99)), r.errors)
		fmt.Printf("soak RSS MiB every 10 s: %s\n", strings.Join(all, " "))
		fmt.Printf("soak RSS at 1 min %s MiB, at the end %s MiB, max %s MiB: change after the first minute %+.1f%%\n",
			mib(first), mib(last), mib(slices.Max(samples)), 100*float64(last-first)/float64(first))
	}
	_ = cmd.Process.Signal(os.Interrupt)
	_ = cmd.Wait() // (the profile is written on the way out)
	exited = true
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// modelName is serve's default name for a model directory.
func modelName(dir string) string {
	dir = strings.TrimRight(dir, "/")
	return dir[strings.LastIndex(dir, "/")+1:]
}

func readTexts(path string, maxLen int) ([]string, error) {
	tb, _, err := format.Read(context.Background(), storage.New(storage.Options{}), path, format.Options{})
	if err != nil {
		return nil, err
	}
	j := tb.Schema().Index("text")
	if j < 0 {
		return nil, fmt.Errorf("%s: no text column", path)
	}
	var out []string
	for _, b := range tb.Partitions() {
		c := b.Column(j).(*table.StringColumn)
		for i, s := range c.Values {
			if c.IsNull(i) {
				continue
			}
			if maxLen > 0 && len(s) > maxLen {
				s = s[:maxLen]
			}
			out = append(out, s)
		}
	}
	return out, nil
}

func startServer(bin, model, profile string) (*exec.Cmd, string, error) {
	args := []string{"serve", "--model", model, "--addr", "127.0.0.1:0", "--poll", "0"}
	if profile != "" {
		args = append(args, "--cpuprofile", profile)
	}
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	re := regexp.MustCompile(`url=(http://\S+)`)
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			go func() { _, _ = io.Copy(io.Discard, stderr) }()
			return cmd, m[1], nil
		}
		fmt.Fprintln(os.Stderr, sc.Text())
	}
	_ = cmd.Wait()
	return nil, "", fmt.Errorf("%s serve exited before listening", bin)
}

// rss returns a process's resident set size in bytes (Linux).
func rss(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for l := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

type result struct {
	requests, errors int
	seconds          float64
	lat              []time.Duration
	firstErr         string
}

func (r *result) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := int(float64(len(r.lat)-1) * p / 100)
	return r.lat[i]
}

// load runs clients closed-loop clients posting bodies in turn (each
// answer must hold rowsEach predictions) for d, or for count requests in
// all when count > 0.
func load(url string, bodies [][]byte, rowsEach, clients int, d time.Duration, count int) *result {
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	hc := &http.Client{Transport: tr, Timeout: time.Minute}
	defer tr.CloseIdleConnections()
	var next atomic.Int64
	deadline := time.Now().Add(d)
	res := make([]result, clients)
	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			r := &res[c]
			for {
				k := int(next.Add(1) - 1)
				if (count > 0 && k >= count) || (count == 0 && time.Now().After(deadline)) {
					return
				}
				t0 := time.Now()
				resp, err := hc.Post(url, "application/json", bytes.NewReader(bodies[k%len(bodies)]))
				var body []byte
				if err == nil {
					body, err = io.ReadAll(resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != 200 {
						err = fmt.Errorf("status %d: %.200s", resp.StatusCode, body)
					}
				}
				if err == nil && bytes.Count(body, []byte(`"prediction":`)) != rowsEach {
					err = fmt.Errorf("answer without %d predictions: %.200s", rowsEach, body)
				}
				r.lat = append(r.lat, time.Since(t0))
				r.requests++
				if err != nil {
					r.errors++
					if r.firstErr == "" {
						r.firstErr = err.Error()
					}
				}
			}
		})
	}
	wg.Wait()
	out := &result{seconds: time.Since(start).Seconds()}
	for _, r := range res {
		out.requests += r.requests
		out.errors += r.errors
		out.lat = append(out.lat, r.lat...)
		if out.firstErr == "" {
			out.firstErr = r.firstErr
		}
	}
	slices.Sort(out.lat)
	return out
}
