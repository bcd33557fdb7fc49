package feature

import (
	"context"
	"fmt"
	"math"
	"sort"
	"sync"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/internal/learned"
	"github.com/spindle-ml/spindle/internal/memlimit"
	"github.com/spindle-ml/spindle/internal/simd"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	engine.RegisterAggregator[*w2vDelta](w2vRound{})
	ml.Register(ml.Registration{Name: "Word2Vec", New: func() any { return new(Word2Vec) }, Model: &Word2VecModel{},
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "words", Type: table.StringList}},
				Params:  ml.ParamMap{"inputCol": "words", "outputCol": "out"},
				Values:  map[string][]any{"roundWords": {100}, "maxSentenceLength": {3}, "stepSize": {0.5}, "maxIter": {2}, "vectorSize": {1, 3}},
			},
		}})
}

// Compile-time checks of the stage contract (see ml/stage.go).
var (
	_ ml.Estimator      = (*Word2Vec)(nil)
	_ ml.SchemaChecker  = (*Word2Vec)(nil)
	_ ml.ColumnReader   = (*Word2Vec)(nil)
	_ ml.Model          = (*Word2VecModel)(nil)
	_ engine.Mapper     = (*Word2VecModel)(nil)
	_ ml.StateValidator = (*Word2VecModel)(nil)
)

// Word2Vec learns a vector per word with the skip-gram model trained by
// hierarchical softmax, as Spark ML's Word2Vec (and the original word2vec
// it follows) does, and maps a document to the mean of its words' vectors.
//
// Training: the vocabulary (words seen at least MinCount times, most
// frequent first, ties by word) comes from one aggregation; a Huffman tree
// over word counts gives each word its code. Sentences are the documents,
// cut into pieces of MaxSentenceLength words. Each iteration is split into
// rounds; in a round every partition of the data trains its own copy of
// the current model on its share of sentences (in parallel, one kernel per
// partition), and the copies are merged as Spark merges its partitions:
// each word's vector moves by the mean of the changes of the copies that
// changed it. The learning rate falls linearly from StepSize to
// StepSize×1e-4 over all iterations. Results are deterministic for a seed
// and a partitioning of the input.
//
// Spark trains numPartitions (default 1) copies once per iteration; here
// copies are the dataset's partitions, synchronized every round (default
// about 50,000 words a partition), which uses every core and converges
// like sequential training on corpora of useful size.
type Word2Vec struct {
	InputCol  string `param:"nonempty"`
	OutputCol string `param:"nonempty"`
	// VectorSize is the dimension of word vectors, ≥ 1. If 0, it is 100.
	VectorSize int `param:"default=100,gt=0"`
	// WindowSize is the context window (words each side, at most), ≥ 1.
	// If 0, it is 5.
	WindowSize int `param:"default=5,gt=0"`
	// MinCount drops rarer words, ≥ 0. If nil, it is 5; 0 keeps every
	// word.
	MinCount *int `param:"default=5,min=0"`
	// MaxIter is the number of passes over the data, ≥ 1. If 0, it is 1.
	MaxIter int `param:"default=1,gt=0"`
	// StepSize is the initial learning rate, > 0. If 0, it is 0.025.
	StepSize float64 `param:"default=0.025,gt=0"`
	// MaxSentenceLength cuts longer documents into sentences of this many
	// words, ≥ 1. If 0, it is 1000.
	MaxSentenceLength int `param:"default=1000,gt=0"`
	// RoundWords is how many words a partition trains on between two
	// merges, ≥ 1. If 0, it is 50,000.
	RoundWords int `param:"default=50000,gt=0"`
	// Seed seeds initialization and window sampling.
	Seed int64 `param:"default=0"`
}

// InputColumns implements ml.ColumnReader.
func (w *Word2Vec) InputColumns() []string { return []string{w.InputCol} }

const (
	w2vMaxExp       = 6
	w2vExpTableSize = 1000
	w2vMaxCodeLen   = 40
)

func (w *Word2Vec) params() (dim, window, minCount, iters, maxLen, roundWords int, step float64) {
	dim, window, minCount, iters, maxLen, roundWords, step = w.VectorSize, w.WindowSize, ml.IntOr(w.MinCount, 5), w.MaxIter, w.MaxSentenceLength, w.RoundWords, w.StepSize
	if dim == 0 {
		dim = 100
	}
	if window == 0 {
		window = 5
	}
	if iters == 0 {
		iters = 1
	}
	if maxLen == 0 {
		maxLen = 1000
	}
	if roundWords == 0 {
		roundWords = 50_000
	}
	if step == 0 {
		step = 0.025
	}
	return
}

// w2vVocab is the vocabulary with its Huffman codes.
type w2vVocab struct {
	Words  []string
	Counts []int64
	Codes  [][]uint8 // per word: branch bits from the root
	Points [][]int32 // per word: inner-node indices along the path

	indexOnce sync.Once
	index     map[string]int32 // word → position, built once per value
}

// lookup returns the word → position map, built on first use: the
// rounds and partitions that share this value (the embedded engine's)
// share it.
func (v *w2vVocab) lookup() map[string]int32 {
	v.indexOnce.Do(func() {
		v.index = make(map[string]int32, len(v.Words))
		for i, t := range v.Words {
			v.index[t] = int32(i)
		}
	})
	return v.index
}

// buildHuffman assigns codes from counts sorted in decreasing order, the
// classic word2vec construction: two queues (leaves, inner nodes) merged
// by smallest count.
func buildHuffman(counts []int64) (codes [][]uint8, points [][]int32) {
	n := len(counts)
	count := make([]int64, 2*n)
	copy(count, counts)
	for i := n; i < 2*n; i++ {
		count[i] = math.MaxInt64 / 4
	}
	parent := make([]int, 2*n)
	binary := make([]uint8, 2*n)
	pos1, pos2 := n-1, n
	pick := func() int {
		if pos1 >= 0 && count[pos1] < count[pos2] {
			pos1--
			return pos1 + 1
		}
		pos2++
		return pos2 - 1
	}
	for a := 0; a < n-1; a++ {
		m1 := pick()
		m2 := pick()
		count[n+a] = count[m1] + count[m2]
		parent[m1], parent[m2] = n+a, n+a
		binary[m2] = 1
	}
	codes = make([][]uint8, n)
	points = make([][]int32, n)
	for a := 0; a < n; a++ {
		var code []uint8
		var point []int32
		for b := a; b != 2*n-2 && n > 1; b = parent[b] {
			code = append(code, binary[b])
			point = append(point, int32(b))
		}
		// Reverse into root-first order; points become inner-node indices
		// (node − n), the root first.
		l := len(code)
		codes[a] = make([]uint8, l)
		points[a] = make([]int32, l)
		for i := 0; i < l; i++ {
			codes[a][i] = code[l-1-i]
		}
		if l > 0 {
			points[a][0] = int32(n - 2)
			for i := 1; i < l; i++ {
				points[a][i] = point[l-i] - int32(n)
			}
		}
	}
	return codes, points
}

// Fit implements ml.Estimator.
func (w *Word2Vec) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (ml.Model, error) {
	if err := ml.Validate(w); err != nil {
		return nil, err
	}
	dim, window, minCount, iters, maxLen, roundWords, step := w.params()
	if _, err := ml.InputColumn("Word2Vec", ds.Schema(), w.InputCol, table.StringList); err != nil {
		return nil, err
	}
	if _, err := ml.WithOutput("Word2Vec", ds.Schema(), w.OutputCol, table.Vector); err != nil {
		return nil, err
	}
	tc, err := engine.Aggregate(ctx, e, ds, termCountKernel{InputCol: w.InputCol})
	if err != nil {
		return nil, fmt.Errorf("Word2Vec: %w", err)
	}
	var words []string
	for t, n := range tc.Count {
		if n >= int64(minCount) {
			words = append(words, t)
		}
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("Word2Vec: no word occurs minCount (%d) times in column %q", minCount, w.InputCol)
	}
	sort.Slice(words, func(i, j int) bool {
		a, b := words[i], words[j]
		if tc.Count[a] != tc.Count[b] {
			return tc.Count[a] > tc.Count[b]
		}
		return a < b
	})
	v := &w2vVocab{Words: words, Counts: make([]int64, len(words))}
	var trainWords int64
	for i, t := range words {
		v.Counts[i] = tc.Count[t]
		trainWords += v.Counts[i]
	}
	v.Codes, v.Points = buildHuffman(v.Counts)

	// Initial model: syn0 uniform in (−0.5, 0.5)/dim from the seed, syn1 zero.
	n := len(words)
	// Two n×dim float32 tables here; each partition copies the rows it
	// trains (at most as many).
	if err := memlimit.Check(fmt.Sprintf("Word2Vec: %d words × vectorSize %d", n, dim), memlimit.Floats(int64(n), int64(dim), memlimit.Workers()+1), "lower vectorSize, or raise minCount for a smaller vocabulary"); err != nil {
		return nil, err
	}
	syn0 := make([]float32, n*dim)
	r := newW2VRand(uint64(w.Seed))
	for i := range syn0 {
		syn0[i] = float32((r.float() - 0.5) / float64(dim))
	}
	syn1 := make([]float32, n*dim)

	// Partitions' word counts decide how many rounds an iteration takes.
	counts, err := engine.Aggregate(ctx, e, ds, w2vWordCount{InputCol: w.InputCol, Words: words})
	if err != nil {
		return nil, fmt.Errorf("Word2Vec: %w", err)
	}
	var largest int64
	active := 0
	for _, c := range counts {
		largest = max(largest, c)
		if c > 0 {
			active++
		}
	}
	rounds := int(max(1, (largest+int64(roundWords)-1)/int64(roundWords)))
	var done int64 // words trained on, over all partitions and rounds
	for it := 0; it < iters; it++ {
		for rd := 0; rd < rounds; rd++ {
			k := w2vRound{
				InputCol: w.InputCol, Vocab: v, Dim: dim, Window: window, MaxSentenceLength: maxLen,
				Syn0: syn0, Syn1: syn1, Iter: it, Round: rd, Rounds: rounds, Seed: w.Seed,
				Step: step, WordsDone: done, TotalWords: trainWords * int64(iters), Active: active,
			}
			d, err := engine.Aggregate(ctx, e, ds, k)
			if err != nil {
				return nil, fmt.Errorf("Word2Vec: iteration %d round %d: %w", it+1, rd+1, err)
			}
			d.applyTo(syn0, syn1)
			done += d.Words
		}
	}
	return &Word2VecModel{InputCol: w.InputCol, OutputCol: w.OutputCol, Words: words, VectorSize: dim, Vectors: syn0}, nil
}

// w2vRand is a small deterministic generator (SplitMix64).
type w2vRand struct{ s uint64 }

func newW2VRand(seed uint64) *w2vRand { return &w2vRand{s: seed ^ 0x2545f4914f6cdd1d} }

func (r *w2vRand) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *w2vRand) float() float64 { return float64(r.next()>>11) / (1 << 53) }
func (r *w2vRand) intn(n int) int { return int(r.next() % uint64(n)) }

// w2vWordCount counts, per partition, the in-vocabulary words.
type w2vWordCount struct {
	InputCol string
	Words    []string
}

func init() { engine.RegisterAggregator[[]int64](w2vWordCount{}) }

func (w2vWordCount) KernelName() string { return "feature.Word2VecWordCount" }
func (w2vWordCount) Zero() []int64      { return nil }
func (k w2vWordCount) Fold(_ context.Context, info engine.PartitionInfo, acc []int64, b *table.Batch) ([]int64, error) {
	idx := make(map[string]bool, len(k.Words))
	for _, t := range k.Words {
		idx[t] = true
	}
	c, err := table.ColumnAs[*table.StringListColumn](b, k.InputCol)
	if err != nil {
		return nil, err
	}
	var n int64
	for i, doc := range c.Values {
		if c.Valid.Valid(i) {
			for _, t := range doc {
				if idx[t] {
					n++
				}
			}
		}
	}
	out := make([]int64, info.Index+1)
	out[info.Index] = n
	return out, nil
}
func (w2vWordCount) Merge(a, b []int64) ([]int64, error) {
	if len(b) > len(a) {
		a, b = b, a
	}
	for i, x := range b {
		a[i] += x
	}
	return a, nil
}

// w2vRound is one round of training: each partition trains a copy of the
// model on its sentences of this round and returns how it changed.
type w2vRound struct {
	InputCol          string
	Vocab             *w2vVocab
	Dim, Window       int
	MaxSentenceLength int
	Syn0, Syn1        []float32
	Iter, Round       int
	Rounds            int
	Seed              int64
	Step              float64
	WordsDone         int64
	TotalWords        int64
	Active            int
}

// w2vDelta is a round's partial: for each row a partition touched (Rows0
// of syn0, Rows1 of syn1, increasing), its summed change (D0, D1: Dim
// values a row) and how many partitions changed it (N0, N1; a row read
// but not changed counts 0).
type w2vDelta struct {
	Dim          int
	Rows0, Rows1 []int32
	D0, D1       []float32
	N0, N1       []int32
	Words        int64
}

func (w2vRound) KernelName() string { return "feature.Word2VecRound" }
func (w2vRound) Zero() *w2vDelta    { return &w2vDelta{} }

// applyTo adds each changed row's mean change to the model.
func (d *w2vDelta) applyTo(syn0, syn1 []float32) {
	apply := func(syn []float32, rows []int32, delta []float32, cnt []int32) {
		for t, row := range rows {
			c := cnt[t]
			if c == 0 {
				continue
			}
			inv := 1 / float32(c)
			s, dl := syn[int(row)*d.Dim:int(row+1)*d.Dim], delta[t*d.Dim:(t+1)*d.Dim]
			for j := range s {
				s[j] += dl[j] * inv
			}
		}
	}
	apply(syn0, d.Rows0, d.D0, d.N0)
	apply(syn1, d.Rows1, d.D1, d.N1)
}

func (w2vRound) Merge(a, b *w2vDelta) (*w2vDelta, error) {
	if b.Dim == 0 {
		a.Words += b.Words
		return a, nil
	}
	if a.Dim == 0 {
		b.Words += a.Words
		return b, nil
	}
	if a.Dim != b.Dim {
		return nil, fmt.Errorf("Word2Vec: merging changes of vector size %d and %d", a.Dim, b.Dim)
	}
	a.Rows0, a.D0, a.N0 = mergeRows(a.Dim, a.Rows0, a.D0, a.N0, b.Rows0, b.D0, b.N0)
	a.Rows1, a.D1, a.N1 = mergeRows(a.Dim, a.Rows1, a.D1, a.N1, b.Rows1, b.D1, b.N1)
	a.Words += b.Words
	return a, nil
}

// mergeRows merges two lists of row changes (rows increasing), adding
// those of a row both list.
func mergeRows(dim int, ra []int32, da []float32, na []int32, rb []int32, db []float32, nb []int32) ([]int32, []float32, []int32) {
	rows := make([]int32, 0, len(ra)+len(rb))
	d := make([]float32, 0, (len(ra)+len(rb))*dim)
	n := make([]int32, 0, len(ra)+len(rb))
	i, j := 0, 0
	for i < len(ra) || j < len(rb) {
		switch {
		case j == len(rb) || (i < len(ra) && ra[i] < rb[j]):
			rows, d, n = append(rows, ra[i]), append(d, da[i*dim:(i+1)*dim]...), append(n, na[i])
			i++
		case i == len(ra) || rb[j] < ra[i]:
			rows, d, n = append(rows, rb[j]), append(d, db[j*dim:(j+1)*dim]...), append(n, nb[j])
			j++
		default:
			at := len(d)
			d = append(d, da[i*dim:(i+1)*dim]...)
			for t, x := range db[j*dim : (j+1)*dim] {
				d[at+t] += x
			}
			rows, n = append(rows, ra[i]), append(n, na[i]+nb[j])
			i, j = i+1, j+1
		}
	}
	return rows, d, n
}

// rowCopies is a partition's private copy of the model rows it trains:
// a row is copied from the round's model the first time it is touched
// (copy on write), so a round costs what it touches, not two copies of
// the whole model per partition.
type rowCopies struct {
	src     []float32
	dim     int
	slot    []int32 // row → 1 + its slot; 0 while untouched
	changed []bool  // by slot: the row was written
	rows    []int32 // by slot: the row
	chunks  [][]float32
}

const rowsPerChunk = 256

func newRowCopies(src []float32, dim, rows int) *rowCopies {
	return &rowCopies{src: src, dim: dim, slot: make([]int32, rows)}
}

// row returns the private copy of row r.
func (c *rowCopies) row(r int32) []float32 {
	s := int(c.slot[r]) - 1
	if s < 0 {
		s = len(c.rows)
		if s%rowsPerChunk == 0 {
			c.chunks = append(c.chunks, make([]float32, rowsPerChunk*c.dim))
		}
		c.slot[r] = int32(s + 1)
		c.rows = append(c.rows, r)
		c.changed = append(c.changed, false)
		copy(c.at(s), c.src[int(r)*c.dim:int(r+1)*c.dim])
	}
	return c.at(s)
}

func (c *rowCopies) at(s int) []float32 {
	ch := c.chunks[s/rowsPerChunk]
	o := s % rowsPerChunk * c.dim
	return ch[o : o+c.dim : o+c.dim]
}

// touch marks row r as written.
func (c *rowCopies) touch(r int32) { c.changed[c.slot[r]-1] = true }

// delta returns the touched rows in increasing order, each one's change
// (copy − original) and 1 if it was written, else 0.
func (c *rowCopies) delta() ([]int32, []float32, []int32) {
	order := make([]int, len(c.rows))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return c.rows[order[a]] < c.rows[order[b]] })
	rows := make([]int32, len(order))
	d := make([]float32, len(order)*c.dim)
	n := make([]int32, len(order))
	for t, s := range order {
		r := c.rows[s]
		rows[t] = r
		if c.changed[s] {
			n[t] = 1
		}
		orig, cp := c.src[int(r)*c.dim:int(r+1)*c.dim], c.at(s)
		out := d[t*c.dim : (t+1)*c.dim]
		for j := range out {
			out[j] = cp[j] - orig[j]
		}
	}
	return rows, d, n
}

// Fold trains the partition's sentences of this round on a private copy.
func (k w2vRound) Fold(ctx context.Context, info engine.PartitionInfo, acc *w2vDelta, b *table.Batch) (*w2vDelta, error) {
	c, err := table.ColumnAs[*table.StringListColumn](b, k.InputCol)
	if err != nil {
		return nil, err
	}
	index := k.Vocab.lookup()
	// The round's share: documents whose position in the partition falls
	// in this round's slice.
	n := len(c.Values)
	lo, hi := n*k.Round/k.Rounds, n*(k.Round+1)/k.Rounds
	dim := k.Dim
	syn0 := newRowCopies(k.Syn0, dim, len(k.Vocab.Words))
	syn1 := newRowCopies(k.Syn1, dim, len(k.Vocab.Words))
	r := newW2VRand(uint64(k.Seed) ^ uint64(info.Index+1)<<16 ^ uint64(k.Iter+1)<<8 ^ uint64(k.Round+1)<<40)
	expTable := w2vExp()
	neu1e := make([]float32, dim)
	var local int64
	sentence := make([]int32, 0, k.MaxSentenceLength)
	minAlpha := k.Step * 1e-4
	train := func(sent []int32) {
		for pos, word := range sent {
			progress := float64(k.WordsDone+int64(k.Active)*local) / float64(k.TotalWords+1)
			alpha := float32(math.Max(k.Step*(1-progress), minAlpha))
			local++
			b := r.intn(k.Window)
			for a := b; a < 2*k.Window+1-b; a++ {
				if a == k.Window {
					continue
				}
				cpos := pos - k.Window + a
				if cpos < 0 || cpos >= len(sent) {
					continue
				}
				ctxWord := sent[cpos]
				l1 := syn0.row(ctxWord)
				clear(neu1e)
				code, point := k.Vocab.Codes[word], k.Vocab.Points[word]
				for d := range code {
					inner := point[d]
					l2 := syn1.row(inner)
					f := simd.Dot32(l1, l2)
					if f <= -w2vMaxExp || f >= w2vMaxExp {
						continue
					}
					f = expTable[int((f+w2vMaxExp)*(w2vExpTableSize/w2vMaxExp/2))]
					g := (1 - float32(code[d]) - f) * alpha
					simd.Axpy32(g, l2, neu1e)
					simd.Axpy32(g, l1, l2)
					syn1.touch(inner)
				}
				simd.Axpy32(1, neu1e, l1)
				syn0.touch(ctxWord)
			}
		}
	}
	for i := lo; i < hi; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !c.Valid.Valid(i) {
			continue
		}
		sentence = sentence[:0]
		for _, t := range c.Values[i] {
			if j, ok := index[t]; ok {
				sentence = append(sentence, j)
				if len(sentence) == k.MaxSentenceLength {
					train(sentence)
					sentence = sentence[:0]
				}
			}
		}
		if len(sentence) > 0 {
			train(sentence)
		}
	}
	// The change of each row this partition touched.
	part := &w2vDelta{Dim: dim, Words: local}
	part.Rows0, part.D0, part.N0 = syn0.delta()
	part.Rows1, part.D1, part.N1 = syn1.delta()
	return w2vRound{}.Merge(acc, part)
}

// w2vExp tabulates the logistic function on (−MaxExp, MaxExp), as
// word2vec does, so training reads a table instead of calling exp.
func w2vExp() []float32 {
	t := make([]float32, w2vExpTableSize)
	for i := range t {
		x := math.Exp((float64(i)/w2vExpTableSize*2 - 1) * w2vMaxExp)
		t[i] = float32(x / (x + 1))
	}
	return t
}

// Word2VecModel holds word vectors and maps documents to the mean of their
// words' vectors: the sum over known words divided by the number of words
// in the document (unknown words count in the divisor, as in Spark); an
// empty document maps to zeros.
type Word2VecModel struct {
	InputCol, OutputCol string `param:"nonempty"`
	Words               []string
	VectorSize          int
	// Vectors holds the word vectors row by row (len(Words) × VectorSize).
	Vectors []float32
}

// KernelName implements engine.Kernel.
func (*Word2VecModel) KernelName() string { return "feature.Word2VecModel" }

// OutputSchema implements engine.Mapper.
func (m *Word2VecModel) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if m.VectorSize < 1 || !learned.IsMatrix(len(m.Vectors), len(m.Words), m.VectorSize) {
		return nil, fmt.Errorf("Word2VecModel: %d vector values for %d words of size %d", len(m.Vectors), len(m.Words), m.VectorSize)
	}
	if _, err := ml.InputColumn("Word2VecModel", in, m.InputCol, table.StringList); err != nil {
		return nil, err
	}
	return ml.WithOutput("Word2VecModel", in, m.OutputCol, table.Vector)
}

// MapPartition implements engine.Mapper.
func (m *Word2VecModel) MapPartition(_ context.Context, _ engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	out, err := m.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	index := m.index()
	c, err := table.ColumnAs[*table.StringListColumn](b, m.InputCol)
	if err != nil {
		return nil, err
	}
	dim := m.VectorSize
	vecs := make([]linalg.Vector, len(c.Values))
	for i, doc := range c.Values {
		if !c.Valid.Valid(i) {
			continue
		}
		sum := make([]float64, dim)
		for _, t := range doc {
			if j, ok := index[t]; ok {
				for k, x := range m.Vectors[j*dim : (j+1)*dim] {
					sum[k] += float64(x)
				}
			}
		}
		if len(doc) > 0 {
			inv := 1 / float64(len(doc))
			for k := range sum {
				sum[k] *= inv
			}
		}
		vecs[i] = linalg.Dense(sum)
	}
	return ml.AppendColumn(out, b, table.NewVectorColumn(vecs, c.Valid))
}

func (m *Word2VecModel) index() map[string]int {
	idx := make(map[string]int, len(m.Words))
	for i, w := range m.Words {
		idx[w] = i
	}
	return idx
}

// Vector returns a word's vector, or false if the word is unknown.
func (m *Word2VecModel) Vector(word string) ([]float32, bool) {
	for i, w := range m.Words {
		if w == word {
			return m.Vectors[i*m.VectorSize : (i+1)*m.VectorSize], true
		}
	}
	return nil, false
}

// Synonym is a word and its cosine similarity to the query.
type Synonym struct {
	Word       string
	Similarity float64
}

// FindSynonyms returns the k words whose vectors are closest to word's by
// cosine similarity, most similar first, without word itself.
func (m *Word2VecModel) FindSynonyms(word string, k int) ([]Synonym, error) {
	q, ok := m.Vector(word)
	if !ok {
		return nil, fmt.Errorf("Word2VecModel: %q is not in the vocabulary", word)
	}
	return m.nearest(q, k, word), nil
}

func norm32(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}

func (m *Word2VecModel) nearest(q []float32, k int, skip string) []Synonym {
	qn := norm32(q)
	dim := m.VectorSize
	out := make([]Synonym, 0, len(m.Words))
	for i, w := range m.Words {
		if w == skip {
			continue
		}
		v := m.Vectors[i*dim : (i+1)*dim]
		var d float64
		for j := range v {
			d += float64(v[j]) * float64(q[j])
		}
		if n := norm32(v) * qn; n > 0 {
			d /= n
		}
		out = append(out, Synonym{Word: w, Similarity: d})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Similarity != out[j].Similarity {
			return out[i].Similarity > out[j].Similarity
		}
		return out[i].Word < out[j].Word
	})
	if len(out) > k {
		out = out[:k]
	}
	return out
}
