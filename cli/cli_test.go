package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/spindle-ml/spindle/internal/s3test"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/profile"
	"github.com/spindle-ml/spindle/storage"
)

var server *s3test.Server

// childArgs, set in the environment, makes the test binary run the
// command line it holds (arguments separated by U+001F) instead of the tests:
// a spindle process a test can kill.
const childArgs = "SPINDLE_TEST_CLI_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(childArgs); args != "" {
		// As cmd/spindle does: SIGINT and SIGTERM end the command's context.
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Main(ctx, strings.Split(args, "\x1f"), os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(s3test.Main(m, &server))
}

func run(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = Main(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

func profileJSON(t *testing.T, args ...string) *profile.Profile {
	t.Helper()
	code, out, errOut := run(append([]string{"profile", "--json"}, args...)...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var p profile.Profile
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out)
	}
	return &p
}

func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeFileAt writes data at path p, making its directory.
func writeFileAt(t *testing.T, p, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestProfileExampleCorpus is the acceptance check: the
// SpamAssassin CSV has 6,046 rows, 4,150 ham and 1,896 spam, read from a
// local path and from s3:// on the local server.
func TestProfileExampleCorpus(t *testing.T) {
	csvPath := tabletest.ExampleCSV(t)
	ctx := context.Background()
	if err := server.CreateBucket(ctx, "corpus"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := storage.New(storage.Options{}).WriteFile(ctx, "s3://corpus/spam/spam.csv", data); err != nil {
		t.Fatal(err)
	}
	for _, uri := range []string{csvPath, "s3://corpus/spam/spam.csv", "s3://corpus/spam/*.csv"} {
		p := profileJSON(t, uri, "--label", "label")
		if p.Rows != 6046 || len(p.Classes) != 2 ||
			p.Classes[0] != (profile.ClassCount{Class: "ham", Count: 4150, Percent: 100 * 4150.0 / 6046}) ||
			p.Classes[1] != (profile.ClassCount{Class: "spam", Count: 1896, Percent: 100 * 1896.0 / 6046}) {
			t.Fatalf("%s: rows %d classes %+v", uri, p.Rows, p.Classes)
		}
		if p.Columns[0].Name != "text" || p.Columns[0].Nulls != 0 || p.Columns[1].Distinct != 2 {
			t.Fatalf("%s: columns %+v", uri, p.Columns)
		}
	}
}

func TestProfileTable(t *testing.T) {
	path := writeFile(t, "small.csv", "x,name,label\n1.5,a,yes\n2.5,,no\n,c,yes\n")
	code, out, errOut := run("profile", path, "--label", "label")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"rows: 3",
		"column     type  nulls  null %  distinct  min  max  mean    stddev",
		"     x  float64      1   33.33         2  1.5  2.5     2  0.707107",
		"label \"label\":",
		"  yes      2  66.67",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "msg=read") || !strings.Contains(errOut, "rows=3") {
		t.Errorf("no structured read log line: %s", errOut)
	}
}

func TestProfileOptions(t *testing.T) {
	path := writeFile(t, "semi.txt", "a;b\n1;NA\n2;x\n")
	p := profileJSON(t, path, "--format", "csv", "--delimiter", ";", "--null-value", "NA", "--schema", "a=string")
	if p.Columns[0].Type != "string" || p.Columns[1].Nulls != 1 {
		t.Fatalf("columns %+v", p.Columns)
	}
	bad := writeFile(t, "bad.csv", "a,b\n1,2\n3\n4,5\n")
	rejects := filepath.Join(t.TempDir(), "rejects.csv")
	p = profileJSON(t, bad, "--on-malformed", "drop", "--rejects", rejects)
	if p.Rows != 2 {
		t.Fatalf("rows %d, want 2 after dropping one", p.Rows)
	}
	if got, _ := os.ReadFile(rejects); string(got) != "3\n" {
		t.Fatalf("rejects file = %q", got)
	}
}

func TestExitCodesAndErrors(t *testing.T) {
	ragged := writeFile(t, "ragged.csv", "a,b\n1,2\n3,4,5\n")
	bin := writeFile(t, "data.bin", "\x00\x01")
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"profile"}, ExitUsage, "spindle: expected one DATA path or URI, got 0 argument(s)"},
		{[]string{"profile", "x.csv", "--nope"}, ExitUsage, "spindle: unknown flag: --nope"},
		{[]string{"nope"}, ExitUsage, `spindle: unknown command "nope"`},
		{[]string{"profile", "x.csv", "--on-malformed", "skip"}, ExitUsage, "spindle: --on-malformed must be fail or drop"},
		{[]string{"profile", "x.csv", "--schema", "a=decimal"}, ExitUsage, `unknown column type "decimal"`},
		{[]string{"profile", "/does/not/exist.csv"}, ExitFailure, "spindle: /does/not/exist.csv: no such file or directory\n"},
		{[]string{"profile", ragged}, ExitFailure, "ragged.csv:3: wrong number of fields: 3 fields, the header has 2\n"},
		{[]string{"profile", "s3://no-such-bucket/x.csv"}, ExitFailure, `spindle: s3://no-such-bucket/x.csv: bucket "no-such-bucket" does not exist` + "\n"},
		{[]string{"profile", bin}, ExitUsage, "cannot tell the format from the extension \"bin\" (known: csv, tsv, jsonl, json, ndjson, libsvm, svm, parquet, pq); pass --format"},
	}
	for _, tt := range tests {
		code, _, errOut := run(tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, code, errOut, tt.code, tt.msg)
		}
	}
	// Runtime errors are one line on stderr.
	_, _, errOut := run("profile", ragged)
	if strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Errorf("error is not one line: %q", errOut)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := run("version")
	if code != ExitOK || !strings.HasPrefix(out, "spindle ") {
		t.Fatalf("version: %d %q", code, out)
	}
}

// TestTerminalLogClearsBar: on a terminal, a log line first erases the
// progress bar's line, so the two never share a line.
func TestTerminalLogClearsBar(t *testing.T) {
	var buf strings.Builder
	term := &terminal{w: &buf}
	fmt.Fprint(barWriter{term}, "\r⠋ read data.csv")
	fmt.Fprint(term, "level=INFO msg=read\n")
	term.barDone()
	fmt.Fprint(term, "level=INFO msg=done\n")
	want := "\r⠋ read data.csv\r\033[Klevel=INFO msg=read\nlevel=INFO msg=done\n"
	if buf.String() != want {
		t.Fatalf("got %q\nwant %q", buf.String(), want)
	}
}
