package storage_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/internal/s3test"
	"github.com/spindle-ml/spindle/storage"
)

var server *s3test.Server

func TestMain(m *testing.M) { os.Exit(s3test.Main(m, &server)) }

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    storage.Location
		wantErr string
	}{
		{in: "s3://b/k/x.csv", want: storage.Location{Scheme: "s3", Bucket: "b", Path: "k/x.csv"}},
		{in: "s3a://b/", want: storage.Location{Scheme: "s3", Bucket: "b", Path: ""}},
		{in: "/tmp/a.csv", want: storage.Location{Scheme: "file", Path: "/tmp/a.csv"}},
		{in: "file:///tmp/a.csv", want: storage.Location{Scheme: "file", Path: "/tmp/a.csv"}},
		{in: "file://localhost/tmp/./a.csv", want: storage.Location{Scheme: "file", Path: "/tmp/a.csv"}},
		{in: "file://host/tmp/a.csv", wantErr: "needs an absolute path"},
		{in: "s3:///k", wantErr: "no bucket"},
		{in: "gs://b/k", wantErr: "unsupported scheme"},
		{in: "", wantErr: "empty path"},
	}
	for _, tt := range tests {
		got, err := storage.Parse(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestJoin(t *testing.T) {
	tests := []struct{ dir, name, want string }{
		{"out", "run.log", "out/run.log"},
		{"out/", "models/tf", "out/models/tf"},
		{"file:///data/out", "models/tf", "/data/out/models/tf"},
		{"file:///data/out/", "_SUCCESS", "/data/out/_SUCCESS"},
		{"s3://b/runs/1", "metrics.json", "s3://b/runs/1/metrics.json"},
		{"s3://b/runs/1/", "models/tf", "s3://b/runs/1/models/tf"},
		{"s3a://b/runs", "x", "s3://b/runs/x"},
		{"s3://b", "x", "s3://b/x"},
		{"s3://b/", "x", "s3://b/x"},
		{"gs://b/k", "x", "gs://b/k/x"}, // unparsable: the later use reports it
	}
	for _, tt := range tests {
		if got := storage.Join(tt.dir, tt.name); got != tt.want {
			t.Errorf("Join(%q, %q) = %q, want %q", tt.dir, tt.name, got, tt.want)
		}
	}
}

func TestSame(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "a.csv")
	if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(f, filepath.Join(dir, "link.csv")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		a, b string
		want bool
	}{
		{f, "file://" + f, true},
		{f, filepath.Join(dir, "link.csv"), true},
		{f, filepath.Join(dir, ".", "a.csv"), true},
		{f, filepath.Join(dir, "b.csv"), false},
		{filepath.Join(dir, "new.csv"), "file://" + filepath.Join(dir, "new.csv"), true},
		{"s3://b/k", "s3a://b/k", true},
		{"s3://b/k", "s3://b/k2", false},
		{"s3://b/k", "/b/k", false},
	}
	for _, tt := range tests {
		if got := storage.Same(tt.a, tt.b); got != tt.want {
			t.Errorf("Same(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestCheckWritable probes output locations: created when missing,
// refused when a file is in the way, when a parent is a file, or when the
// bucket does not exist.
func TestCheckWritable(t *testing.T) {
	ctx := context.Background()
	st := storage.New(storage.Options{})
	dir := t.TempDir()
	file := filepath.Join(dir, "file.txt")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	if err := server.CreateBucket(ctx, "probe"); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ uri, wantErr string }{
		{filepath.Join(dir, "new", "out"), ""},
		{"file://" + filepath.Join(dir, "viafile"), ""},
		{file, "is a file, not a directory"},
		{filepath.Join(file, "out"), "a parent of it is a file"},
		{"s3://probe/runs/1", ""},
		{"s3://no-such-bucket-probe/x", "does not exist"},
	}
	if os.Geteuid() != 0 { // root writes anywhere
		tests = append(tests, struct{ uri, wantErr string }{filepath.Join(ro, "out"), "permission denied"})
	}
	for _, tt := range tests {
		err := st.CheckWritable(ctx, tt.uri)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("CheckWritable(%s) = %v", tt.uri, err)
				continue
			}
			left, err := st.ListAll(ctx, tt.uri)
			if err != nil || len(left) != 0 {
				t.Errorf("CheckWritable(%s) left %v (%v)", tt.uri, left, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("CheckWritable(%s) = %v, want %q", tt.uri, err, tt.wantErr)
		}
	}
}

// TestListAllRemoveAll lists hidden files too and removes a whole tree,
// locally and on S3.
func TestListAllRemoveAll(t *testing.T) {
	ctx := context.Background()
	if err := server.CreateBucket(ctx, "tree"); err != nil {
		t.Fatal(err)
	}
	st := storage.New(storage.Options{})
	for _, base := range []string{filepath.Join(t.TempDir(), "run"), "s3://tree/run"} {
		t.Run(base[:2], func(t *testing.T) {
			for _, name := range []string{"metrics.json", "_SUCCESS", "models/tf/.x.tmp-1", "models/tf/data.gob"} {
				if err := st.WriteFile(ctx, storage.Join(base, name), []byte("x")); err != nil {
					t.Fatal(err)
				}
			}
			// A sibling sharing the prefix must survive.
			if err := st.WriteFile(ctx, base+"2/keep", []byte("x")); err != nil {
				t.Fatal(err)
			}
			all, err := st.ListAll(ctx, base)
			if err != nil || len(all) != 4 {
				t.Fatalf("ListAll = %v, %v; want 4 objects", all, err)
			}
			// A single file goes alone.
			if err := st.RemoveAll(ctx, storage.Join(base, "metrics.json")); err != nil {
				t.Fatal(err)
			}
			if all, err := st.ListAll(ctx, base); err != nil || len(all) != 3 {
				t.Fatalf("after RemoveAll of one file: %v, %v; want 3 objects", all, err)
			}
			if err := st.RemoveAll(ctx, base); err != nil {
				t.Fatal(err)
			}
			if all, err := st.ListAll(ctx, base); err != nil || len(all) != 0 {
				t.Fatalf("after RemoveAll: %v, %v", all, err)
			}
			if _, err := st.ReadFile(ctx, base+"2/keep"); err != nil {
				t.Fatalf("RemoveAll took a sibling: %v", err)
			}
		})
	}
}

// roundTrip writes files under base, then lists and reads them back.
func roundTrip(t *testing.T, st *storage.Store, base string) {
	ctx := context.Background()
	files := map[string]string{
		"data/part-0.csv":     "a,b\n1,2\n",
		"data/part-1.csv":     "a,b\n3,4\n",
		"data/other.json":     "{}\n",
		"data/_SUCCESS":       "",
		"data/sub/part-2.csv": "a,b\n5,6\n",
	}
	for name, body := range files {
		if err := st.WriteFile(ctx, storage.Join(base, name), []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	glob, err := st.List(ctx, storage.Join(base, "data/part-*.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(glob) != 2 || !strings.HasSuffix(glob[0].URI, "part-0.csv") || !strings.HasSuffix(glob[1].URI, "part-1.csv") {
		t.Fatalf("glob matched %+v", glob)
	}
	if glob[0].Size != int64(len(files["data/part-0.csv"])) {
		t.Errorf("size = %d", glob[0].Size)
	}
	dir, err := st.List(ctx, storage.Join(base, "data")+"/")
	if err != nil {
		t.Fatal(err)
	}
	if len(dir) != 4 { // _SUCCESS is skipped
		t.Fatalf("prefix listing = %+v, want 4 objects", dir)
	}
	r, err := st.Open(ctx, glob[1].URI)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if string(got) != files["data/part-1.csv"] {
		t.Errorf("read %q", got)
	}
	if got, err := st.ReadFile(ctx, glob[1].URI); err != nil || string(got) != files["data/part-1.csv"] {
		t.Errorf("ReadFile = %q, %v", got, err)
	}
	if _, err := st.ReadFile(ctx, storage.Join(base, "missing.csv")); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("ReadFile of a missing file: %v", err)
	}
	// WriteScratch replaces a file whole, like WriteFile.
	if err := st.WriteScratch(ctx, glob[1].URI, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if got, err := st.ReadFile(ctx, glob[1].URI); err != nil || string(got) != "x" {
		t.Errorf("after WriteScratch: %q, %v", got, err)
	}
	if err := st.WriteFile(ctx, glob[1].URI, []byte(files["data/part-1.csv"])); err != nil {
		t.Fatal(err)
	}
	ra, err := st.OpenReaderAt(ctx, glob[1].URI)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 3)
	if _, err := ra.ReadAt(buf, 4); err != nil || string(buf) != "3,4" {
		t.Errorf("ReadAt = %q, %v", buf, err)
	}
	if ra.Size() != 8 {
		t.Errorf("Size = %d", ra.Size())
	}
	ra.Close()

	// An aborted write leaves nothing behind.
	w, err := st.Create(ctx, storage.Join(base, "aborted.txt"))
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("half"))
	w.Abort()
	if _, err := st.List(ctx, storage.Join(base, "aborted.txt")); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("aborted write is visible: %v", err)
	}

	// Delete removes an object, even a bookkeeping one; a missing one is fine.
	marker := storage.Join(base, "_SUCCESS")
	if err := st.WriteFile(ctx, marker, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.List(ctx, marker); err != nil {
		t.Fatalf("marker not listed by name: %v", err)
	}
	if err := st.Delete(ctx, marker); err != nil {
		t.Fatal(err)
	}
	if _, err := st.List(ctx, marker); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("deleted marker still listed: %v", err)
	}
	if err := st.Delete(ctx, marker); err != nil {
		t.Errorf("deleting a missing object: %v", err)
	}
}

func TestLocal(t *testing.T) {
	roundTrip(t, storage.New(storage.Options{}), t.TempDir())
}

func TestS3(t *testing.T) {
	ctx := context.Background()
	if err := server.CreateBucket(ctx, "roundtrip"); err != nil {
		t.Fatal(err)
	}
	roundTrip(t, storage.New(storage.Options{}), "s3://roundtrip/run1")
}

func TestS3MultipartUpload(t *testing.T) {
	ctx := context.Background()
	if err := server.CreateBucket(ctx, "big"); err != nil {
		t.Fatal(err)
	}
	st := storage.New(storage.Options{})
	data := bytes.Repeat([]byte("0123456789abcdef"), 13<<16) // 13 MiB: several 8 MiB parts
	w, err := st.Create(ctx, "s3://big/blob")
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; off < len(data); off += 1 << 20 {
		if _, err := w.Write(data[off:min(off+1<<20, len(data))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := st.Open(ctx, "s3://big/blob")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes (err %v), want %d equal bytes", len(got), err, len(data))
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	if err := server.CreateBucket(ctx, "errs"); err != nil {
		t.Fatal(err)
	}
	st := storage.New(storage.Options{})
	missing := filepath.Join(t.TempDir(), "missing.csv")
	tests := []struct {
		name, uri, want string
	}{
		{"missing local file", missing, "missing.csv: no such file or directory"},
		{"missing bucket", "s3://no-such-bucket-here/x.csv", `bucket "no-such-bucket-here" does not exist`},
		{"missing key", "s3://errs/nope.csv", "s3://errs/nope.csv: no such object"},
		{"glob without match", "s3://errs/*.parquet", "no files match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := st.List(ctx, tt.uri)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("List(%s) error = %v, want it to contain %q", tt.uri, err, tt.want)
			}
			if _, err := st.Open(ctx, tt.uri); err == nil {
				t.Fatalf("Open(%s) succeeded", tt.uri)
			}
		})
	}
}

func TestWrongCredentials(t *testing.T) {
	ctx := context.Background()
	if err := server.CreateBucket(ctx, "secret"); err != nil {
		t.Fatal(err)
	}
	if err := storage.New(storage.Options{}).WriteFile(ctx, "s3://secret/data.csv", []byte("a\n1\n")); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, key, secret string }{
		{"unknown access key", "WRONGKEY0000", server.SecretKey},
		{"wrong secret", server.AccessKey, "wrong-secret-for-test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("AWS_ACCESS_KEY_ID", tt.key)
			t.Setenv("AWS_SECRET_ACCESS_KEY", tt.secret)
			st := storage.New(storage.Options{})
			_, err := st.List(ctx, "s3://secret/data.csv")
			if err == nil || !strings.Contains(err.Error(), "rejected the credentials") {
				t.Fatalf("List error = %v, want a rejected-credentials message", err)
			}
			_, err = st.Open(ctx, "s3://secret/data.csv")
			if err == nil || !strings.Contains(err.Error(), "rejected the credentials") {
				t.Fatalf("Open error = %v, want a rejected-credentials message", err)
			}
		})
	}
}

func TestUnreachableEndpoint(t *testing.T) {
	st := storage.New(storage.Options{S3Endpoint: "http://127.0.0.1:1"})
	_, err := st.List(context.Background(), "s3://b/k")
	if err == nil || !strings.Contains(err.Error(), "cannot reach http://127.0.0.1:1") {
		t.Fatalf("error = %v", err)
	}
}

// TestDirResolvesRelativePaths: a store with Dir reads a relative local
// path under Dir (as a worker reads the driver's paths); ForWorkers gives
// this process's directory, and keeps a Dir already set.
func TestDirResolvesRelativePaths(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := storage.New(storage.Options{Dir: dir}).ReadFile(ctx, "a.txt")
	if err != nil || string(got) != "hello" {
		t.Fatalf("%q, %v", got, err)
	}
	if _, err := storage.New(storage.Options{}).ReadFile(ctx, "a.txt"); err == nil {
		t.Fatal("a relative path without Dir read a file outside the working directory")
	}
	wd, _ := os.Getwd()
	if o := storage.New(storage.Options{}).ForWorkers(); o.Dir != wd {
		t.Fatalf("ForWorkers Dir %q, want %q", o.Dir, wd)
	}
	if o := storage.New(storage.Options{Dir: dir}).ForWorkers(); o.Dir != dir {
		t.Fatalf("ForWorkers Dir %q, want %q", o.Dir, dir)
	}
}
