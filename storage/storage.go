// Package storage reads and writes data by URI: local paths (plain or
// file://) and s3://bucket/key objects, with prefixes and globs
// (s3://b/data/*.csv, dir/part-*.parquet).
//
// S3 access uses the AWS SDK for Go v2 and its default credential chain
// (environment, shared config and credentials files, SSO, web identity,
// container and instance roles); Spindle never takes a key itself. Region
// and endpoint come from the usual settings (AWS_REGION, AWS_PROFILE,
// AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL) or from Options; with a custom
// endpoint, path-style addressing is used, as S3-compatible servers expect.
//
// Writes are atomic: nothing is visible under the final name until Close
// succeeds (a local file is renamed into place; an S3 object appears only
// when its upload completes), and Abort discards a write.
package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Options configure a Store. The zero value uses the AWS defaults.
type Options struct {
	// S3Endpoint overrides the S3 endpoint URL (e.g. http://127.0.0.1:7070
	// for an S3-compatible server). If empty, AWS_ENDPOINT_URL_S3 and
	// AWS_ENDPOINT_URL apply, as the SDK reads them.
	S3Endpoint string
	// Region overrides the AWS region; if empty, the SDK's chain applies
	// (AWS_REGION, the profile), and "us-east-1" when nothing sets one.
	Region string
	// PathStyle forces path-style S3 addressing. It is on by itself
	// whenever a custom endpoint is set.
	PathStyle bool
	// Dir, if set, is the directory a relative local path is resolved
	// against. A driver gives its working directory to workers in other
	// processes, so that the paths it was given name the same files
	// there.
	Dir string
}

// Store opens and creates objects. It is safe for concurrent use; the S3
// client is created on first use.
type Store struct {
	opts   Options
	s3Once sync.Once
	s3     *s3Backend
	s3Err  error
}

// New returns a Store with the given options.
func New(opts Options) *Store { return &Store{opts: opts} }

// Options returns the options s was made with.
func (s *Store) Options() Options { return s.opts }

// ForWorkers returns the options for workers in other processes to make
// the same store: s's, with Dir set to this process's working directory
// when s has none, so that a relative local path names the same file
// there.
func (s *Store) ForWorkers() Options {
	o := s.opts
	if o.Dir == "" {
		if wd, err := os.Getwd(); err == nil {
			o.Dir = wd
		}
	}
	return o
}

// Object describes one stored object or file.
type Object struct {
	URI  string
	Size int64
	// Version changes when the object's content does: the modification
	// time of a file, the ETag of an S3 object. Readers that keep work
	// done on an input (staged splits) key it by URI, Size and Version.
	Version string
}

// Writer is an object being written. Close makes it visible atomically;
// Abort discards it. Calling Abort after Close is a no-op.
type Writer interface {
	io.Writer
	Close() error
	Abort() error
}

// ReaderAt reads an object at random offsets (Parquet footers need it).
type ReaderAt interface {
	io.ReaderAt
	io.Seeker
	io.Reader
	io.Closer
	Size() int64
}

// ErrNotFound is matched (errors.Is) by errors for objects, files or
// buckets that do not exist.
var ErrNotFound = errors.New("not found")

// notFoundError is a not-found error whose text is a whole sentence.
type notFoundError struct{ msg string }

func (e notFoundError) Error() string        { return e.msg }
func (e notFoundError) Is(target error) bool { return target == ErrNotFound }

func notFoundf(format string, args ...any) error {
	return notFoundError{fmt.Sprintf(format, args...)}
}

// Location is a parsed URI. Code that combines or compares URIs works on
// Locations (Join, Same), never on the URI text, so that s3://, s3a://,
// file:// and plain paths all behave the same way.
type Location struct {
	// Scheme is "s3" or "file".
	Scheme string
	// Bucket is the S3 bucket (empty for files).
	Bucket string
	// Path is the S3 key, or the local path.
	Path string
}

// IsS3 reports whether l names an S3 object.
func (l Location) IsS3() bool { return l.Scheme == "s3" }

// String returns l as a URI: s3://bucket/key, or the local path (a
// file:// URI comes back as its plain path).
func (l Location) String() string {
	if l.IsS3() {
		return "s3://" + l.Bucket + "/" + l.Path
	}
	return l.Path
}

// Join returns the location of name (which may hold "/"-separated
// segments) inside l taken as a directory or prefix.
func (l Location) Join(name string) Location {
	if l.IsS3() {
		key := strings.TrimSuffix(l.Path, "/")
		name = strings.TrimPrefix(name, "/")
		switch {
		case key == "":
			l.Path = name
		case name == "":
			l.Path = key
		default:
			l.Path = key + "/" + name
		}
		return l
	}
	l.Path = filepath.Join(l.Path, filepath.FromSlash(name))
	return l
}

// Parse parses "s3://bucket/key" (also s3a:// and s3n://, as Hadoop names
// them), "file:///path" (or file://localhost/path) or a plain local path.
func Parse(uri string) (Location, error) {
	switch {
	case strings.HasPrefix(uri, "s3://"), strings.HasPrefix(uri, "s3a://"), strings.HasPrefix(uri, "s3n://"):
		rest := uri[strings.Index(uri, "://")+3:]
		bucket, key, _ := strings.Cut(rest, "/")
		if bucket == "" {
			return Location{}, fmt.Errorf("parse %q: no bucket name (want s3://bucket/key)", uri)
		}
		return Location{Scheme: "s3", Bucket: bucket, Path: key}, nil
	case strings.HasPrefix(uri, "file://"):
		rest := strings.TrimPrefix(uri, "file://")
		if strings.HasPrefix(rest, "localhost/") {
			rest = strings.TrimPrefix(rest, "localhost")
		}
		if !strings.HasPrefix(rest, "/") {
			return Location{}, fmt.Errorf("parse %q: a file:// URI needs an absolute path (file:///path), got host %q", uri, strings.SplitN(rest, "/", 2)[0])
		}
		return Location{Scheme: "file", Path: filepath.Clean(rest)}, nil
	case strings.Contains(uri, "://"):
		scheme, _, _ := strings.Cut(uri, "://")
		return Location{}, fmt.Errorf("parse %q: unsupported scheme %q (use a local path, file:// or s3://)", uri, scheme)
	case uri == "":
		return Location{}, errors.New("empty path")
	}
	return Location{Scheme: "file", Path: uri}, nil
}

// parse is Parse with a relative local path resolved against s's Dir.
func (s *Store) parse(uri string) (Location, error) {
	loc, err := Parse(uri)
	if err == nil && loc.Scheme == "file" && s.opts.Dir != "" && !filepath.IsAbs(loc.Path) {
		loc.Path = filepath.Join(s.opts.Dir, loc.Path)
	}
	return loc, err
}

// Join appends name to a directory or prefix URI. A URI that does not
// parse is returned joined with "/", so that the operation that uses it
// reports the parse error.
func Join(dir, name string) string {
	loc, err := Parse(dir)
	if err != nil {
		return strings.TrimSuffix(dir, "/") + "/" + name
	}
	return loc.Join(name).String()
}

// Same reports whether URIs a and b name the same file or object: equal
// buckets and keys on S3; the same file on disk (after symbolic links,
// relative paths and hard links) locally.
func Same(a, b string) bool {
	la, err1 := Parse(a)
	lb, err2 := Parse(b)
	if err1 != nil || err2 != nil || la.Scheme != lb.Scheme {
		return false
	}
	if la.IsS3() {
		return la.Bucket == lb.Bucket && strings.TrimSuffix(la.Path, "/") == strings.TrimSuffix(lb.Path, "/")
	}
	if fa, err := os.Stat(la.Path); err == nil {
		if fb, err := os.Stat(lb.Path); err == nil {
			return os.SameFile(fa, fb)
		}
	}
	pa, err1 := filepath.Abs(la.Path)
	pb, err2 := filepath.Abs(lb.Path)
	return err1 == nil && err2 == nil && pa == pb
}

func hasMeta(s string) bool { return strings.ContainsAny(s, "*?[") }

// hidden reports whether a listed file is bookkeeping rather than data:
// names starting with "_" or "." (Spark's _SUCCESS, .crc files).
func hidden(name string) bool {
	base := path.Base(name)
	return strings.HasPrefix(base, "_") || strings.HasPrefix(base, ".")
}

// List expands uri into the objects it names: a single file or object; a
// glob (only the last path segments may hold * ? [..]); or a directory or
// prefix ending in "/" (every object below it, skipping names that start
// with "_" or "."). It is an error when nothing matches. Results are sorted
// by URI.
func (s *Store) List(ctx context.Context, uri string) ([]Object, error) {
	loc, err := s.parse(uri)
	if err != nil {
		return nil, err
	}
	var objs []Object
	if loc.IsS3() {
		b, err := s.s3Client(ctx)
		if err != nil {
			return nil, err
		}
		objs, err = b.list(ctx, loc)
		if err != nil {
			return nil, err
		}
	} else {
		objs, err = listLocal(loc.Path)
		if err != nil {
			return nil, err
		}
	}
	if len(objs) == 0 {
		return nil, notFoundf("%s: no files match", uri)
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].URI < objs[j].URI })
	return objs, nil
}

func listLocal(p string) ([]Object, error) {
	if hasMeta(p) {
		matches, err := filepath.Glob(p)
		if err != nil {
			return nil, fmt.Errorf("%s: bad pattern: %w", p, err)
		}
		var out []Object
		for _, m := range matches {
			fi, err := os.Stat(m)
			if err != nil || fi.IsDir() || hidden(m) {
				continue
			}
			out = append(out, Object{URI: m, Size: fi.Size(), Version: fileVersion(fi)})
		}
		return out, nil
	}
	fi, err := os.Stat(p)
	if err != nil {
		return nil, localErr(p, err)
	}
	if !fi.IsDir() {
		return []Object{{URI: p, Size: fi.Size(), Version: fileVersion(fi)}}, nil
	}
	return walkFiles(p, true)
}

// walkFiles lists the files below root, leaving out hidden ones (and
// hidden directories) when skipHidden.
func walkFiles(root string, skipHidden bool) ([]Object, error) {
	var out []Object
	err := filepath.WalkDir(root, func(f string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if skipHidden && f != root && hidden(f) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, Object{URI: f, Size: info.Size(), Version: fileVersion(info)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", root, err)
	}
	return out, nil
}

func localErr(p string, err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return notFoundf("%s: no such file or directory", p)
	}
	if errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("%s: permission denied", p)
	}
	return err
}

// Open returns a streaming reader of one object.
func (s *Store) Open(ctx context.Context, uri string) (io.ReadCloser, error) {
	loc, err := s.parse(uri)
	if err != nil {
		return nil, err
	}
	if loc.IsS3() {
		b, err := s.s3Client(ctx)
		if err != nil {
			return nil, err
		}
		return b.open(ctx, loc)
	}
	f, err := os.Open(loc.Path)
	if err != nil {
		return nil, localErr(loc.Path, err)
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s: is a directory", loc.Path)
	}
	return f, nil
}

// ReadFile reads a whole object or file: a local file in one read of its
// exact size, an S3 object with one GET.
func (s *Store) ReadFile(ctx context.Context, uri string) ([]byte, error) {
	loc, err := s.parse(uri)
	if err != nil {
		return nil, err
	}
	if !loc.IsS3() {
		data, err := os.ReadFile(loc.Path)
		if err != nil {
			return nil, localErr(loc.Path, err)
		}
		return data, nil
	}
	r, err := s.Open(ctx, uri)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", uri, err)
	}
	return data, nil
}

// OpenReaderAt returns a random-access reader of one object; for S3 each
// read is a ranged GET.
func (s *Store) OpenReaderAt(ctx context.Context, uri string) (ReaderAt, error) {
	loc, err := s.parse(uri)
	if err != nil {
		return nil, err
	}
	if loc.IsS3() {
		b, err := s.s3Client(ctx)
		if err != nil {
			return nil, err
		}
		return b.openReaderAt(ctx, loc)
	}
	f, err := os.Open(loc.Path)
	if err != nil {
		return nil, localErr(loc.Path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat %s: %w", loc.Path, err)
	}
	return &localReaderAt{File: f, size: fi.Size()}, nil
}

type localReaderAt struct {
	*os.File
	size int64
}

func (l *localReaderAt) Size() int64 { return l.size }

// Create starts an atomic write of one object (see Writer). Missing local
// directories are created.
func (s *Store) Create(ctx context.Context, uri string) (Writer, error) {
	loc, err := s.parse(uri)
	if err != nil {
		return nil, err
	}
	if loc.IsS3() {
		b, err := s.s3Client(ctx)
		if err != nil {
			return nil, err
		}
		return b.create(ctx, loc)
	}
	return createLocal(loc.Path)
}

// WriteFile writes data to uri atomically.
func (s *Store) WriteFile(ctx context.Context, uri string, data []byte) error {
	w, err := s.Create(ctx, uri)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Abort()
		return fmt.Errorf("write %s: %w", uri, err)
	}
	return w.Close()
}

// WriteScratch writes data like WriteFile — whole or not at all, under its
// final name — but does not wait for a local file to reach the disk: for
// intermediate data a rerun can make again (a crash of the machine may
// lose it; a crashed process cannot). On S3 it is WriteFile.
func (s *Store) WriteScratch(ctx context.Context, uri string, data []byte) error {
	loc, err := s.parse(uri)
	if err != nil {
		return err
	}
	if loc.IsS3() {
		return s.WriteFile(ctx, uri, data)
	}
	w, err := createLocal(loc.Path)
	if err != nil {
		return err
	}
	w.noSync = true
	if _, err := w.Write(data); err != nil {
		w.Abort()
		return fmt.Errorf("write %s: %w", uri, err)
	}
	return w.Close()
}

type localWriter struct {
	f      *os.File
	final  string
	closed bool
	noSync bool
}

func createLocal(p string) (*localWriter, error) {
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", p, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(p)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", p, err)
	}
	return &localWriter{f: f, final: p}, nil
}

func (w *localWriter) Write(p []byte) (int, error) { return w.f.Write(p) }

func (w *localWriter) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	if !w.noSync {
		if err := w.f.Sync(); err != nil {
			w.f.Close()
			os.Remove(w.f.Name())
			return fmt.Errorf("write %s: %w", w.final, err)
		}
	}
	if err := w.f.Close(); err != nil {
		os.Remove(w.f.Name())
		return fmt.Errorf("write %s: %w", w.final, err)
	}
	if err := os.Chmod(w.f.Name(), 0o644); err != nil {
		os.Remove(w.f.Name())
		return fmt.Errorf("write %s: %w", w.final, err)
	}
	if err := os.Rename(w.f.Name(), w.final); err != nil {
		os.Remove(w.f.Name())
		return fmt.Errorf("write %s: %w", w.final, err)
	}
	return nil
}

func (w *localWriter) Abort() error {
	if w.closed {
		return nil
	}
	w.closed = true
	w.f.Close()
	return os.Remove(w.f.Name())
}

// Delete removes one object or file; a missing one is not an error.
func (s *Store) Delete(ctx context.Context, uri string) error {
	loc, err := s.parse(uri)
	if err != nil {
		return err
	}
	if loc.IsS3() {
		b, err := s.s3Client(ctx)
		if err != nil {
			return err
		}
		return b.delete(ctx, loc)
	}
	if err := os.Remove(loc.Path); err != nil && !os.IsNotExist(err) {
		return localErr(loc.Path, err)
	}
	return nil
}

// CheckWritable makes sure files can be written under dir (a directory or
// S3 prefix) before any long work starts: a local directory is created if
// missing and must not be a file; on S3 a small probe object is written
// and deleted. The error names dir and the cause.
func (s *Store) CheckWritable(ctx context.Context, dir string) error {
	loc, err := s.parse(dir)
	if err != nil {
		return err
	}
	if !loc.IsS3() {
		if fi, err := os.Stat(loc.Path); err == nil && !fi.IsDir() {
			return fmt.Errorf("%s is a file, not a directory", loc.Path)
		}
		// A parent that is a file makes MkdirAll fail with ENOTDIR.
		if err := os.MkdirAll(loc.Path, 0o755); err != nil {
			if errors.Is(err, syscall.ENOTDIR) {
				return fmt.Errorf("%s: a parent of it is a file, not a directory", loc.Path)
			}
			return fmt.Errorf("%s: cannot create the directory: %w", loc.Path, unwrapPath(err))
		}
	}
	probe := loc.Join("._spindle_probe_" + randomSuffix()).String()
	if err := s.WriteScratch(ctx, probe, []byte("ok")); err != nil {
		if !loc.IsS3() {
			return fmt.Errorf("%s: cannot write there: %w", loc.Path, unwrapPath(err))
		}
		return fmt.Errorf("%s: cannot write there: %w", dir, err)
	}
	return s.Delete(ctx, probe)
}

// unwrapPath drops the *PathError wrapping (its text repeats the path,
// which the caller names already).
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// RemoveAll deletes uri and everything under it, as a recursive delete
// does: a file or object itself, or a local directory or S3 prefix with
// all it holds (empty local directories included); a missing one is not
// an error.
func (s *Store) RemoveAll(ctx context.Context, uri string) error {
	dir := uri
	loc, err := s.parse(dir)
	if err != nil {
		return err
	}
	if !loc.IsS3() {
		if err := os.RemoveAll(loc.Path); err != nil {
			return fmt.Errorf("remove %s: %w", loc.Path, unwrapPath(err))
		}
		return nil
	}
	b, err := s.s3Client(ctx)
	if err != nil {
		return err
	}
	prefix := loc
	prefix.Path = strings.TrimSuffix(loc.Path, "/") + "/"
	if loc.Path == "" {
		prefix.Path = ""
	}
	objs, err := b.listAll(ctx, prefix)
	if err != nil {
		return err
	}
	for _, o := range objs {
		ol, err := s.parse(o.URI)
		if err != nil {
			return err
		}
		if err := b.delete(ctx, ol); err != nil {
			return err
		}
	}
	if loc.Path == "" {
		return nil
	}
	return b.delete(ctx, loc) // the object named uri itself, if any
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ListAll returns every file or object under dir (a directory or S3
// prefix), hidden names (_SUCCESS, .tmp files) included, sorted by URI;
// nothing there is an empty list, not an error. A local dir that is a file
// is an error.
func (s *Store) ListAll(ctx context.Context, dir string) ([]Object, error) {
	loc, err := s.parse(dir)
	if err != nil {
		return nil, err
	}
	var out []Object
	if loc.IsS3() {
		b, err := s.s3Client(ctx)
		if err != nil {
			return nil, err
		}
		prefix := loc
		if prefix.Path != "" {
			prefix.Path = strings.TrimSuffix(prefix.Path, "/") + "/"
		}
		if out, err = b.listAll(ctx, prefix); err != nil {
			return nil, err
		}
	} else {
		fi, err := os.Stat(loc.Path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return nil, nil
		case err != nil:
			return nil, localErr(loc.Path, err)
		case !fi.IsDir():
			return nil, fmt.Errorf("%s is a file, not a directory", loc.Path)
		}
		if out, err = walkFiles(loc.Path, false); err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].URI < out[j].URI })
	return out, nil
}

// fileVersion is a local file's Object.Version: its modification time.
func fileVersion(fi os.FileInfo) string { return fi.ModTime().UTC().Format(time.RFC3339Nano) }
