package cli

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startServe runs 'spindle serve ARGS --addr 127.0.0.1:0' in a child
// process and returns it with its base URL, once it listens. Its log
// lines go to the returned channel.
func startServe(t *testing.T, args ...string) (*exec.Cmd, string, <-chan string) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	if !slices.Contains(args, "--addr") {
		args = append([]string{"--addr", "127.0.0.1:0"}, args...)
	}
	cmd.Env = append(os.Environ(), childArgs+"="+strings.Join(append([]string{"serve"}, args...), "\x1f"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	lines := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	url := regexp.MustCompile(`url=(https?://\S+)`)
	deadline := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("serve exited before listening")
			}
			if m := url.FindStringSubmatch(l); m != nil {
				return cmd, m[1], lines
			}
		case <-deadline:
			t.Fatal("serve did not listen within 30 s")
		}
	}
}

func httpDo(t *testing.T, method, url, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// jsonRows parses JSON Lines into rows of raw values.
func jsonRows(t *testing.T, text string) []map[string]json.RawMessage {
	t.Helper()
	var rows []map[string]json.RawMessage
	for l := range strings.SplitSeq(strings.TrimSpace(text), "\n") {
		var r map[string]json.RawMessage
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		rows = append(rows, r)
	}
	return rows
}

// samePredictions checks that served predictions equal, byte for byte,
// the prediction columns of 'spindle predict”s JSON Lines.
func samePredictions(t *testing.T, what string, want, got []map[string]json.RawMessage) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d predictions for %d rows", what, len(got), len(want))
	}
	for i := range want {
		for _, k := range []string{"rawPrediction", "probability", "prediction", "predictedLabel"} {
			if w := string(want[i][k]); w == "" || string(got[i][k]) != w {
				t.Fatalf("%s: row %d %s: predict %s, serve %s", what, i+1, k, w, got[i][k])
			}
		}
	}
}

// TestServeCommand trains a model, serves it from a child process and
// checks that the served predictions are 'spindle predict”s bit for bit;
// that a new run into the model's directory is picked up with no request
// failing; SIGHUP reloads; SIGTERM drains and exits 0.
func TestServeCommand(t *testing.T) {
	data := smallCSV(t)
	raw, _ := os.ReadFile(data)
	clean := writeFile(t, "clean.csv", strings.Join(strings.Split(string(raw), "\n")[:121], "\n")+"\n")
	out := filepath.Join(t.TempDir(), "out")
	specPath := writeFile(t, "spec.yaml", fmt.Sprintf(smallSpec, data, "unused"))
	if code, _, stderr := run("run", specPath, "--out", out); code != ExitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	model := filepath.Join(out, "models", "tf")
	scored := filepath.Join(t.TempDir(), "scored.jsonl")
	if code, _, stderr := run("predict", "--model", model, "--input", clean, "--out", scored); code != ExitOK {
		t.Fatalf("predict: exit %d: %s", code, stderr)
	}
	pj, _ := os.ReadFile(scored)
	want := jsonRows(t, string(pj))

	cmd, url, lines := startServe(t, "--model", model, "--poll", "100ms")
	predict := url + "/v1/models/tf:predict"
	code, body := httpDo(t, "POST", predict, "text/csv", string(must(os.ReadFile(clean))))
	if code != 200 {
		t.Fatalf("CSV: %d %s", code, body)
	}
	var ans struct {
		Predictions []map[string]json.RawMessage
	}
	if err := json.Unmarshal([]byte(body), &ans); err != nil {
		t.Fatal(err)
	}
	samePredictions(t, "CSV body", want, ans.Predictions)
	// The same rows as JSON, each row as predict read it.
	var rows []string
	for _, r := range want {
		rows = append(rows, fmt.Sprintf(`{"text":%s,"n":%s}`, r["text"], r["n"]))
	}
	code, body = httpDo(t, "POST", predict, "application/json", "["+strings.Join(rows, ",")+"]")
	ans.Predictions = nil
	if err := json.Unmarshal([]byte(body), &ans); code != 200 || err != nil {
		t.Fatalf("JSON: %d %s", code, body)
	}
	samePredictions(t, "JSON body", want, ans.Predictions)

	_, desc := httpDo(t, "GET", url+"/v1/models/tf", "", "")
	var before struct{ ManifestSha256, RunID string }
	_ = json.Unmarshal([]byte(desc), &before)
	if before.ManifestSha256 == "" {
		t.Fatalf("description: %s", desc)
	}

	// A new run into the same directory while requests keep coming.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var failed []string
	var mu sync.Mutex
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			code, body := httpDo(t, "POST", predict, "", `{"text":"win money now","n":1}`)
			if code != 200 {
				mu.Lock()
				failed = append(failed, body)
				mu.Unlock()
			}
		}
	})
	if code, _, stderr := run("run", specPath, "--out", out, "--set", "split.seed=5"); code != ExitOK {
		t.Fatalf("second run: exit %d: %s", code, stderr)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, desc := httpDo(t, "GET", url+"/v1/models/tf", "", "")
		var now struct{ ManifestSha256, RunID string }
		_ = json.Unmarshal([]byte(desc), &now)
		if now.ManifestSha256 != before.ManifestSha256 && now.RunID != before.RunID {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the new model was not picked up within 20 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if len(failed) > 0 {
		t.Fatalf("%d requests failed during the reload; first: %s", len(failed), failed[0])
	}

	// SIGHUP reloads every model.
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		_, metrics := httpDo(t, "GET", url+"/metrics", "", "")
		if strings.Contains(metrics, `spindle_serve_reloads_total{model="tf",result="ok"} 2`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no reload after SIGHUP:\n%s", metrics)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// SIGTERM: drain and exit 0.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var log []string
	for l := range lines {
		log = append(log, l)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, strings.Join(log, "\n"))
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop within 20 s of SIGTERM")
	}
	if all := strings.Join(log, "\n"); !strings.Contains(all, "draining") || !strings.Contains(all, "msg=stopped") {
		t.Fatalf("log:\n%s", all)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestServeFlags: unsafe or broken settings are refused before anything
// is loaded.
func TestServeFlags(t *testing.T) {
	short := writeFile(t, "short.token", "abc\n")
	good := writeFile(t, "good.token", "0123456789abcdef0123\n")
	t.Setenv("SPINDLE_TEST_TOKEN", "0123456789abcdef0123")
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"serve"}, ExitUsage, "--model is required"},
		{[]string{"serve", "--model", "bad name!=x"}, ExitUsage, "must be"},
		{[]string{"serve", "--model", "m", "--addr", "nonsense"}, ExitUsage, "want HOST:PORT"},
		{[]string{"serve", "--model", "m", "--addr", "0.0.0.0:0"}, ExitUsage, "not loopback: give --token-file"},
		{[]string{"serve", "--model", "m", "--addr", "0.0.0.0:0", "--token-file", good}, ExitUsage, "give --tls-cert"},
		{[]string{"serve", "--model", "m", "--token-file", short}, ExitUsage, "at least 16 characters"},
		{[]string{"serve", "--model", "m", "--token-file", good, "--token-env", "X"}, ExitUsage, "give one"},
		{[]string{"serve", "--model", "m", "--token-env", "SPINDLE_TEST_NO_SUCH_VAR"}, ExitUsage, "not set"},
		{[]string{"serve", "--model", "m", "--tls-cert", "c.pem"}, ExitUsage, "go together"},
		{[]string{"serve", "--model", "m", "--max-rows", "0"}, ExitUsage, "must be positive"},
		{[]string{"serve", "--model", "m", "--poll", "-1s"}, ExitUsage, "--poll -1s: want a positive interval"},
		{[]string{"serve", "--model", filepath.Join(t.TempDir(), "none"), "--token-env", "SPINDLE_TEST_TOKEN"}, ExitFailure, "no such model"},
	} {
		code, _, stderr := run(c.args...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d %q; want %d with %q", c.args, code, stderr, c.code, c.msg)
		}
	}
}

// TestServeTLS: off loopback, serve takes a token and TLS; the answers
// come over HTTPS to clients with the token only.
func TestServeTLS(t *testing.T) {
	data := smallCSV(t)
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := run("run", writeFile(t, "spec.yaml", fmt.Sprintf(smallSpec, data, "unused")), "--out", out); code != ExitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	// A self-signed certificate for 127.0.0.1.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "spindle test"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certFile := writeFile(t, "cert.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	keyFile := writeFile(t, "key.pem", string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})))
	token := "tls-test-token-0123456789"
	tokenFile := writeFile(t, "token", token+"\n")
	_, url, _ := startServe(t, "--model", filepath.Join(out, "models", "tf"), "--addr", "0.0.0.0:0",
		"--token-file", tokenFile, "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(url, "https://") {
		t.Fatalf("url %s", url)
	}
	url = "https://127.0.0.1:" + url[strings.LastIndex(url, ":")+1:]
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	for _, c := range []struct {
		auth string
		want int
	}{{"", 401}, {"Bearer wrong", 401}, {"Bearer " + token, 200}} {
		req, _ := http.NewRequest("POST", url+"/v1/models/tf:predict", strings.NewReader(`{"text":"win money now","n":1}`))
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want || (c.want == 200 && !strings.Contains(string(body), `"predictedLabel":"spam"`)) {
			t.Fatalf("auth %q: %d %s", c.auth, resp.StatusCode, body)
		}
	}
	// Plain HTTP to the TLS port is refused.
	if resp, err := http.Get("http://" + strings.TrimPrefix(url, "https://") + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Fatal("plain HTTP answered 200 on the TLS port")
		}
	}
}
