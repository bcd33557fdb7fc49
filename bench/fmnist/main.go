// Command fmnist is the dense multinomial benchmark: it reads
// Fashion-MNIST (Debian's dataset-fashion-mnist: 60,000 training and
// 10,000 test images of 28×28 pixels, 10 classes) with pixels scaled to
// [0, 1], fits Spindle's multinomial LogisticRegression on the embedded
// engine (100 iterations, regParam = 1/(n·C) with C = 1, no
// standardization: scikit-learn's objective with C), and prints the fit
// time and the test accuracy. bench/fmnist/run.sh runs it beside
// scikit-learn's lbfgs. With -model kmeans -iter 20 it fits KMeans (k 10,
// k-means||) on the training images and prints the fit time and the
// within-cluster sum of squares; bench/fmnist/kmeans.sh runs it beside
// scikit-learn's KMeans. With -model pca -k 50 it fits PCA and writes the
// explained variance ratios (-ratios); bench/fmnist/pca.sh compares them
// with numpy's SVD and times scikit-learn's PCA.
package main

import (
	"compress/gzip"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/spindle-ml/spindle/bench/internal/cpuprof"
	"github.com/spindle-ml/spindle/classification"
	"github.com/spindle-ml/spindle/clustering"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/engine/sched"
	"github.com/spindle-ml/spindle/evaluation"
	"github.com/spindle-ml/spindle/feature"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
	"github.com/spindle-ml/spindle/tree"
)

func main() {
	dir := flag.String("dir", "/usr/share/datasets/fashion-mnist", "folder of the idx files")
	c := flag.Float64("C", 1, "inverse regularization, as scikit-learn's C")
	iters := flag.Int("iter", 100, "maxIter")
	prof := flag.String("cpuprofile", "", "write a CPU profile of the fit here")
	flag.IntVar(&per, "partition", 2048, "rows per partition")
	flag.StringVar(&model, "model", "lr", "lr (multinomial LogisticRegression), gbt (GBTClassifier, softmax, Newton leaves) or kmeans (KMeans, k-means||, on the training images)")
	flag.IntVar(&clusters, "k", 10, "kmeans: k; pca: components")
	flag.Int64Var(&kseed, "seed", 0, "kmeans: seed")
	flag.StringVar(&ratios, "ratios", "", "pca: write the explained variance ratios here")
	flag.IntVar(&rounds, "rounds", 100, "gbt: boosting rounds")
	flag.IntVar(&depth, "depth", 6, "gbt: maxDepth")
	flag.IntVar(&bins, "bins", 256, "gbt: maxBins")
	flag.Float64Var(&step, "step", 0.3, "gbt: stepSize")
	flag.BoolVar(&sparse, "sparse", false, "store the images as sparse vectors (as VectorAssembler does for rows with half their pixels 0)")
	flag.Parse()
	stop, err := cpuprof.Start(*prof)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fmnist:", err)
		os.Exit(1)
	}
	defer stop()
	if mp := os.Getenv("FMNIST_MEMPROFILE"); mp != "" {
		defer func() {
			f, _ := os.Create(mp)
			pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}()
	}
	if err := run(*dir, *c, *iters); err != nil {
		stop()
		fmt.Fprintln(os.Stderr, "fmnist:", err)
		os.Exit(1)
	}
}

func run(dir string, c float64, iters int) error {
	ctx := context.Background()
	train, n, err := load(dir, "train")
	if err != nil {
		return err
	}
	test, _, err := load(dir, "t10k")
	if err != nil {
		return err
	}
	e := sched.NewCounter(&local.Engine{})
	trainDS, err := e.FromTable(ctx, train)
	if err != nil {
		return err
	}
	testDS, err := e.FromTable(ctx, test)
	if err != nil {
		return err
	}
	if model == "pca" {
		// PCA of the training images: fit time, then the explained
		// variance ratios, one a line, to the file -ratios.
		start := time.Now()
		m, err := (&feature.PCA{InputCol: "features", OutputCol: "pca", K: clusters}).Fit(ctx, e, trainDS)
		if err != nil {
			return err
		}
		fit := time.Since(start)
		pm := m.(*feature.PCAModel)
		var sum float64
		var lines []string
		for _, v := range pm.ExplainedVariance {
			sum += v
			lines = append(lines, strconv.FormatFloat(v, 'g', -1, 64))
		}
		if ratios != "" {
			if err := os.WriteFile(ratios, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
				return err
			}
		}
		fmt.Printf("fit_s=%.3f k=%d explained=%.12f passes=%d\n", fit.Seconds(), pm.K, sum, e.Passes())
		return nil
	}
	if model == "kmeans" {
		start := time.Now()
		m, err := (&clustering.KMeans{K: clusters, MaxIter: ml.Int(iters), Seed: kseed}).Fit(ctx, e, trainDS)
		if err != nil {
			return err
		}
		km := m.(*clustering.KMeansModel)
		fmt.Printf("fit_s=%.3f wcss=%.6f iterations=%d passes=%d\n", time.Since(start).Seconds(), km.TrainingCost, km.NumIter, e.Passes())
		return nil
	}
	var est ml.Estimator = &classification.LogisticRegression{RegParam: 1 / (float64(n) * c), Standardization: ml.Bool(false), MaxIter: ml.Int(iters), Family: "multinomial"}
	if model == "gbt" {
		est = &classification.GBTClassifier{Params: tree.Params{MaxDepth: &depth, MaxBins: bins},
			BoostParams: tree.BoostParams{MaxIter: &rounds, StepSize: &step, NewtonLeaves: true}}
	}
	start := time.Now()
	m, err := est.Fit(ctx, e, trainDS)
	if err != nil {
		return err
	}
	fit := time.Since(start)
	if model == "gbt" {
		pred, err := ml.Transform(ctx, e, testDS, m)
		if err != nil {
			return err
		}
		acc, err := (&evaluation.MulticlassClassificationEvaluator{MetricName: "accuracy"}).Evaluate(ctx, e, pred)
		if err != nil {
			return err
		}
		fmt.Printf("fit_s=%.3f rounds=%d trees=%d passes=%d test_accuracy=%.4f\n", fit.Seconds(), rounds, m.(*classification.GBTClassificationModel).NumTrees(), e.Passes(), acc)
		return nil
	}
	passes := e.Passes()
	pred, err := ml.Transform(ctx, e, testDS, m)
	if err != nil {
		return err
	}
	acc, err := (&evaluation.MulticlassClassificationEvaluator{MetricName: "accuracy"}).Evaluate(ctx, e, pred)
	if err != nil {
		return err
	}
	fmt.Printf("fit_s=%.3f iterations=%d passes=%d test_accuracy=%.4f\n", fit.Seconds(), m.(*classification.LogisticRegressionModel).TotalIterations, passes, acc)
	return nil
}

// load reads one split's images (pixels / 255, one dense block) and
// labels, in partitions of per rows.
func load(dir, split string) (*table.Table, int, error) {
	img, err := readIdx(filepath.Join(dir, split+"-images-idx3-ubyte.gz"), 16)
	if err != nil {
		return nil, 0, err
	}
	lab, err := readIdx(filepath.Join(dir, split+"-labels-idx1-ubyte.gz"), 8)
	if err != nil {
		return nil, 0, err
	}
	const d = 28 * 28
	n := len(lab)
	if len(img) != n*d {
		return nil, 0, fmt.Errorf("%s: %d pixels for %d labels", split, len(img), n)
	}
	x := make([]float64, n*d)
	for i, p := range img {
		x[i] = float64(p) / 255
	}
	y := make([]float64, n)
	for i, l := range lab {
		y[i] = float64(l)
	}
	schema, err := table.NewSchema(table.Field{Name: "features", Type: table.Vector}, table.Field{Name: "label", Type: table.Float64})
	if err != nil {
		return nil, 0, err
	}
	var batches []*table.Batch
	for lo := 0; lo < n; lo += per {
		hi := min(lo+per, n)
		col := table.NewDenseVectorColumn(x[lo*d:hi*d], d)
		if sparse {
			for i, v := range col.Values {
				var idx []int32
				var val []float64
				for j, p := range v.Values {
					if p != 0 {
						idx, val = append(idx, int32(j)), append(val, p)
					}
				}
				if col.Values[i], err = linalg.Sparse(d, idx, val); err != nil {
					return nil, 0, err
				}
			}
		}
		b, err := table.NewBatch(schema, []table.Column{col, table.NewFloat64Column(y[lo:hi], nil)})
		if err != nil {
			return nil, 0, err
		}
		batches = append(batches, b)
	}
	t, err := table.New(schema, batches...)
	return t, n, err
}

// per is the number of rows per partition; sparse stores rows as sparse
// vectors.
var (
	per    = 2048
	sparse bool
	// The gbt model's flags.
	model               string
	clusters            int
	kseed               int64
	ratios              string
	rounds, depth, bins int
	step                float64
)

// readIdx returns the bytes after an idx file's header of skip bytes.
func readIdx(path string, skip int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	data, err := io.ReadAll(z)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) < skip || binary.BigEndian.Uint32(data) != uint32(0x800+skip/4-1) {
		return nil, fmt.Errorf("%s: not an idx file of the expected rank", path)
	}
	return data[skip:], nil
}
