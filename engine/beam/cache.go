package beam

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/spindle-ml/spindle/storage"
)

// Cache configures the node-local copy workers keep of the staged
// partitions they fetch from S3, so that the passes after the first read
// local files (and, once read, the page cache) instead of S3.
//
// Staged files never change once written: each lies under a directory
// named by the digest of the computation that made it, and a retried task
// writes the same bytes. A file's URI therefore names its content, and is
// the cache key (hashed into a file name). Several worker processes on one
// node may share a directory: a copy is written under a temporary name and
// renamed into place, and eviction tolerates files vanishing under it.
type Cache struct {
	// Dir is the cache directory on each worker node. If empty, it is
	// spindle-cache under the worker's temporary directory.
	Dir string
	// MaxBytes bounds the directory's size; the least recently used files
	// go first. If 0, the cache is off.
	MaxBytes int64
}

func (c Cache) dir() string {
	if c.Dir != "" {
		return c.Dir
	}
	return filepath.Join(os.TempDir(), "spindle-cache")
}

// readStaged reads a staged file, through the cache for S3 objects when
// it is on. A cache that cannot be written is skipped, not an error.
func readStaged(ctx context.Context, st *storage.Store, c Cache, uri string) ([]byte, error) {
	loc, err := storage.Parse(uri)
	if c.MaxBytes <= 0 || err != nil || !loc.IsS3() {
		return st.ReadFile(ctx, uri)
	}
	sum := sha256.Sum256([]byte(uri))
	key := hex.EncodeToString(sum[:])
	path := filepath.Join(c.dir(), key[:2], key)
	if data, err := os.ReadFile(path); err == nil {
		now := time.Now()
		_ = os.Chtimes(path, now, now) // recently used
		return data, nil
	}
	data, err := st.ReadFile(ctx, uri)
	if err != nil {
		return nil, err
	}
	if int64(len(data)) <= c.MaxBytes && keep(path, data) == nil {
		evict(c.dir(), c.MaxBytes)
	}
	return data, nil
}

// keep writes data at path atomically.
func keep(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path)
}

// evict removes the least recently used files until dir holds at most
// max bytes.
func evict(dir string, max int64) {
	type entry struct {
		path string
		size int64
		used time.Time
	}
	var all []entry
	var total int64
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil // a file another worker just removed, or a directory
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		if d.Name()[0] == '.' {
			// A copy being written (another worker's): neither counted
			// nor removed, unless a killed worker left it long ago.
			if time.Since(fi.ModTime()) > time.Hour {
				_ = os.Remove(p)
			}
			return nil
		}
		all = append(all, entry{p, fi.Size(), fi.ModTime()})
		total += fi.Size()
		return nil
	})
	if total <= max {
		return
	}
	slices.SortFunc(all, func(a, b entry) int { return a.used.Compare(b.used) })
	for _, e := range all {
		if total <= max {
			break
		}
		// A file another worker evicted at the same time is gone all
		// the same: counting it as still there would evict more.
		if err := os.Remove(e.path); err == nil || errors.Is(err, fs.ErrNotExist) {
			total -= e.size
		}
	}
}
