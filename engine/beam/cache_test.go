package beam

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestEvictConcurrent: workers that keep and evict at the same time leave
// the cache within its bound and never empty it: a file another worker
// removed counts as gone, and copies still being written are neither
// counted nor removed.
func TestEvictConcurrent(t *testing.T) {
	const size, workers = 4096, 8
	for round := range 30 {
		dir := t.TempDir()
		max := int64(3*size - 1) // room for two files
		// A copy another worker is still writing.
		if err := os.WriteFile(filepath.Join(dir, ".tmp-writing"), make([]byte, 10*size), 0o644); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				path := filepath.Join(dir, fmt.Sprintf("%02d", w), fmt.Sprintf("file-%d", w))
				if err := keep(path, make([]byte, size)); err != nil {
					t.Error(err)
					return
				}
				evict(dir, max)
			})
		}
		wg.Wait()
		var n int
		var total int64
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && d.Name()[0] != '.' {
				fi, _ := d.Info()
				n, total = n+1, total+fi.Size()
			}
			return nil
		})
		if n == 0 || total > max {
			t.Fatalf("round %d: %d files, %d bytes kept; bound %d", round, n, total, max)
		}
		if _, err := os.Stat(filepath.Join(dir, ".tmp-writing")); err != nil {
			t.Fatalf("round %d: a copy being written was removed: %v", round, err)
		}
	}
}
