// Package evaluation scores predictions with Spark ML's evaluators and
// metric definitions: BinaryClassificationEvaluator (areaUnderROC,
// areaUnderPR), MulticlassClassificationEvaluator (f1, accuracy,
// weightedPrecision, weightedRecall, logLoss, with the confusion matrix)
// and RegressionEvaluator (rmse, mse, mae, r2). Each computes its
// statistics in one engine aggregation.
package evaluation

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	engine.RegisterAggregator[*ScoreCounts](binaryKernel{})
	engine.RegisterAggregator[*Confusion](multiclassKernel{})
	engine.RegisterAggregator[*RegressionSums](regressionKernel{})
}

// Evaluator computes one metric of a predicted dataset.
type Evaluator interface {
	Evaluate(ctx context.Context, e engine.Engine, ds engine.Dataset) (float64, error)
	// IsLargerBetter says which way the metric improves (for tuning).
	IsLargerBetter() bool
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func column(b *table.Batch, name string) (table.Column, error) {
	c, err := b.ColumnByName(name)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// scalar reads a numeric value: a float64 or int64 column, or element
// `elem` of a vector column.
// valueLabelWeight finds a kernel's value (score or prediction), label and
// optional weight columns (wc is nil without a weight column).
func valueLabelWeight(b *table.Batch, valueCol, labelCol, weightCol string) (vc, lc, wc table.Column, err error) {
	if vc, err = column(b, valueCol); err != nil {
		return
	}
	if lc, err = column(b, labelCol); err != nil {
		return
	}
	if weightCol != "" {
		wc, err = column(b, weightCol)
	}
	return
}

func scalar(c table.Column, i, elem int) float64 {
	switch c := c.(type) {
	case *table.Float64Column:
		return c.Values[i]
	case *table.Int64Column:
		return float64(c.Values[i])
	case *table.VectorColumn:
		v := c.Values[i]
		if elem < v.Size {
			return v.At(elem)
		}
	}
	return math.NaN()
}

func weightAt(c table.Column, i int) float64 {
	if c == nil {
		return 1
	}
	return scalar(c, i, 0)
}

// BinaryClassificationEvaluator measures how well a score separates labels
// 1 from 0. The score is element 1 of a vector column (Spark's
// rawPrediction, the default) or a number column. AreaUnderROC integrates
// the ROC curve by trapezoids over every distinct score (ties form one
// step); areaUnderPR integrates the precision–recall curve the same way,
// starting from (recall 0, precision of the top score), as Spark does.
// Spark down-samples the curves to numBins (1000) points on large data;
// Spindle computes the exact curves.
type BinaryClassificationEvaluator struct {
	// MetricName is areaUnderROC (default) or areaUnderPR.
	MetricName string
	// RawPredictionCol, LabelCol, WeightCol: defaults rawPrediction,
	// label, none.
	RawPredictionCol, LabelCol, WeightCol string
}

// ScoreCounts is the weight of positives and negatives at each score.
type ScoreCounts struct {
	Pos, Neg map[float64]float64
}

type binaryKernel struct{ ScoreCol, LabelCol, WeightCol string }

func (binaryKernel) KernelName() string { return "evaluation.ScoreCounts" }
func (binaryKernel) Zero() *ScoreCounts {
	return &ScoreCounts{Pos: map[float64]float64{}, Neg: map[float64]float64{}}
}

func (k binaryKernel) Fold(_ context.Context, info engine.PartitionInfo, acc *ScoreCounts, b *table.Batch) (*ScoreCounts, error) {
	sc, lc, wc, err := valueLabelWeight(b, k.ScoreCol, k.LabelCol, k.WeightCol)
	if err != nil {
		return nil, err
	}
	for i := 0; i < b.NumRows(); i++ {
		if sc.IsNull(i) || lc.IsNull(i) {
			return nil, fmt.Errorf("%s: null score or label", engine.RowName(info, b, i))
		}
		s, y, w := scalar(sc, i, 1), scalar(lc, i, 0), weightAt(wc, i)
		if math.IsNaN(s) {
			return nil, fmt.Errorf("%s: score is NaN (a vector score needs 2 elements)", engine.RowName(info, b, i))
		}
		switch y {
		case 1:
			acc.Pos[s] += w
		case 0:
			acc.Neg[s] += w
		default:
			return nil, fmt.Errorf("%s: label %v is not 0 or 1", engine.RowName(info, b, i), y)
		}
	}
	return acc, nil
}

func (binaryKernel) Merge(a, b *ScoreCounts) (*ScoreCounts, error) {
	for s, w := range b.Pos {
		a.Pos[s] += w
	}
	for s, w := range b.Neg {
		a.Neg[s] += w
	}
	return a, nil
}

// IsLargerBetter implements Evaluator.
func (*BinaryClassificationEvaluator) IsLargerBetter() bool { return true }

// Evaluate implements Evaluator.
func (ev *BinaryClassificationEvaluator) Evaluate(ctx context.Context, e engine.Engine, ds engine.Dataset) (float64, error) {
	metric := orDefault(ev.MetricName, "areaUnderROC")
	if metric != "areaUnderROC" && metric != "areaUnderPR" {
		return 0, fmt.Errorf("BinaryClassificationEvaluator: metricName %q is not areaUnderROC or areaUnderPR", metric)
	}
	sc, err := ev.scoreCounts(ctx, e, ds)
	if err != nil {
		return 0, err
	}
	return binaryMetric(sc, metric)
}

// scoreCounts aggregates ds's positive and negative weight per score.
func (ev *BinaryClassificationEvaluator) scoreCounts(ctx context.Context, e engine.Engine, ds engine.Dataset) (*ScoreCounts, error) {
	k := binaryKernel{ScoreCol: orDefault(ev.RawPredictionCol, "rawPrediction"), LabelCol: orDefault(ev.LabelCol, "label"), WeightCol: ev.WeightCol}
	for _, c := range []string{k.ScoreCol, k.LabelCol} {
		if ds.Schema().Index(c) < 0 {
			return nil, fmt.Errorf("BinaryClassificationEvaluator: column %q does not exist (columns: %v)", c, ds.Schema().Names())
		}
	}
	sc, err := engine.Aggregate(ctx, e, ds, k)
	if err != nil {
		return nil, fmt.Errorf("BinaryClassificationEvaluator: %w", err)
	}
	return sc, nil
}

// ranked returns the distinct scores, highest first, and the total
// positive and negative weight; both must be positive. The totals are
// summed in score order, so they are the same to the last bit whatever
// the maps' order.
func (sc *ScoreCounts) ranked() (scores []float64, P, N float64, err error) {
	scores = make([]float64, 0, len(sc.Pos)+len(sc.Neg))
	for s := range sc.Pos {
		scores = append(scores, s)
	}
	for s := range sc.Neg {
		if _, ok := sc.Pos[s]; !ok {
			scores = append(scores, s)
		}
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(scores)))
	for _, s := range scores {
		P += sc.Pos[s]
		N += sc.Neg[s]
	}
	if P == 0 || N == 0 {
		return nil, 0, 0, fmt.Errorf("binary metrics need both labels; found %v positive and %v negative weight", P, N)
	}
	return scores, P, N, nil
}

func binaryMetric(sc *ScoreCounts, metric string) (float64, error) {
	scores, P, N, err := sc.ranked()
	if err != nil {
		return 0, err
	}
	var tp, fp, area float64
	prevR, prevX := 0.0, 0.0
	if metric == "areaUnderPR" {
		s0 := scores[0]
		prevX, prevR = 0, sc.Pos[s0]/(sc.Pos[s0]+sc.Neg[s0]) // (recall 0, first precision)
	}
	for _, s := range scores {
		tp += sc.Pos[s]
		fp += sc.Neg[s]
		var x, yv float64
		if metric == "areaUnderROC" {
			x, yv = fp/N, tp/P
		} else {
			x, yv = tp/P, tp/(tp+fp)
		}
		area += (x - prevX) * (yv + prevR) / 2
		prevX, prevR = x, yv
	}
	return area, nil
}

// MulticlassClassificationEvaluator scores predicted class indices against
// labels. Metrics (Spark's definitions, weighted by each label's share):
// f1 (default; the weighted F-measure), accuracy, hammingLoss (the
// weighted share of rows predicted wrong, 1 − accuracy), weightedPrecision,
// weightedRecall, and logLoss (mean −log p(label) from the probability
// column, clipped at Eps).
type MulticlassClassificationEvaluator struct {
	MetricName string
	// PredictionCol, LabelCol, ProbabilityCol, WeightCol: defaults
	// prediction, label, probability, none.
	PredictionCol, LabelCol, ProbabilityCol, WeightCol string
	// Eps clips probabilities for logLoss. If 0, it is 1e-15.
	Eps float64
}

// Confusion is the weighted confusion matrix (by label, then prediction)
// and the log-loss sum.
type Confusion struct {
	Counts  map[[2]int]float64
	Weight  float64
	LogLoss float64
}

type multiclassKernel struct {
	PredictionCol, LabelCol, ProbabilityCol, WeightCol string
	Eps                                                float64
}

func (multiclassKernel) KernelName() string { return "evaluation.Confusion" }
func (multiclassKernel) Zero() *Confusion   { return &Confusion{Counts: map[[2]int]float64{}} }

func (k multiclassKernel) Fold(_ context.Context, info engine.PartitionInfo, acc *Confusion, b *table.Batch) (*Confusion, error) {
	pc, err := column(b, k.PredictionCol)
	if err != nil {
		return nil, err
	}
	lc, err := column(b, k.LabelCol)
	if err != nil {
		return nil, err
	}
	var prob, wc table.Column
	if k.ProbabilityCol != "" {
		if prob, err = column(b, k.ProbabilityCol); err != nil {
			return nil, err
		}
	}
	if k.WeightCol != "" {
		if wc, err = column(b, k.WeightCol); err != nil {
			return nil, err
		}
	}
	for i := 0; i < b.NumRows(); i++ {
		row := engine.Row{Info: info, Batch: b, I: i}
		if pc.IsNull(i) || lc.IsNull(i) {
			return nil, fmt.Errorf("%s: null prediction or label", row)
		}
		p, y, w := scalar(pc, i, 0), scalar(lc, i, 0), weightAt(wc, i)
		if p != math.Trunc(p) || y != math.Trunc(y) || p < 0 || y < 0 {
			return nil, fmt.Errorf("%s: prediction %v and label %v must be class indices", row, p, y)
		}
		acc.Counts[[2]int{int(y), int(p)}] += w
		acc.Weight += w
		if prob != nil {
			q := scalar(prob, i, int(y))
			if math.IsNaN(q) {
				q = 0
			}
			acc.LogLoss -= w * math.Log(math.Max(q, k.Eps))
		}
	}
	return acc, nil
}

func (multiclassKernel) Merge(a, b *Confusion) (*Confusion, error) {
	for key, w := range b.Counts {
		a.Counts[key] += w
	}
	a.Weight += b.Weight
	a.LogLoss += b.LogLoss
	return a, nil
}

// IsLargerBetter implements Evaluator.
func (ev *MulticlassClassificationEvaluator) IsLargerBetter() bool {
	return orDefault(ev.MetricName, "f1") != "logLoss"
}

// Confusion computes the confusion statistics of ds.
func (ev *MulticlassClassificationEvaluator) Confusion(ctx context.Context, e engine.Engine, ds engine.Dataset) (*Confusion, error) {
	metric := orDefault(ev.MetricName, "f1")
	k := multiclassKernel{PredictionCol: orDefault(ev.PredictionCol, "prediction"), LabelCol: orDefault(ev.LabelCol, "label"), WeightCol: ev.WeightCol, Eps: ev.Eps}
	if k.Eps == 0 {
		k.Eps = 1e-15
	}
	if metric == "logLoss" {
		k.ProbabilityCol = orDefault(ev.ProbabilityCol, "probability")
	}
	for _, c := range []string{k.PredictionCol, k.LabelCol, k.ProbabilityCol, k.WeightCol} {
		if c != "" && ds.Schema().Index(c) < 0 {
			return nil, fmt.Errorf("MulticlassClassificationEvaluator: column %q does not exist (columns: %v)", c, ds.Schema().Names())
		}
	}
	cm, err := engine.Aggregate(ctx, e, ds, k)
	if err != nil {
		return nil, fmt.Errorf("MulticlassClassificationEvaluator: %w", err)
	}
	if cm.Weight == 0 {
		return nil, fmt.Errorf("MulticlassClassificationEvaluator: no rows to evaluate")
	}
	return cm, nil
}

// Evaluate implements Evaluator.
func (ev *MulticlassClassificationEvaluator) Evaluate(ctx context.Context, e engine.Engine, ds engine.Dataset) (float64, error) {
	metric := orDefault(ev.MetricName, "f1")
	if m, ok := LookupMetric(metric); !ok || m.Evaluator != "multiclass" {
		info, _ := LookupEvaluator("multiclass")
		var names []string
		for _, m := range info.Metrics {
			names = append(names, m.Name)
		}
		return 0, fmt.Errorf("MulticlassClassificationEvaluator: metricName %q is not one of %s", metric, strings.Join(names, ", "))
	}
	cm, err := ev.Confusion(ctx, e, ds)
	if err != nil {
		return 0, err
	}
	return cm.Metric(metric), nil
}

// Metric computes a multiclass metric from the confusion statistics.
// Sums run over the cells in (label, prediction) order, so a metric is
// the same to the last bit however the counts were gathered.
func (c *Confusion) Metric(metric string) float64 {
	if metric == "logLoss" {
		return c.LogLoss / c.Weight
	}
	keys := slices.SortedFunc(maps.Keys(c.Counts), func(a, b [2]int) int {
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		return cmp.Compare(a[1], b[1])
	})
	labelW, predW := map[int]float64{}, map[int]float64{}
	var labels []int
	var correct float64
	for _, key := range keys {
		w := c.Counts[key]
		if _, seen := labelW[key[0]]; !seen {
			labels = append(labels, key[0])
		}
		labelW[key[0]] += w
		predW[key[1]] += w
		if key[0] == key[1] {
			correct += w
		}
	}
	switch metric {
	case "accuracy":
		return correct / c.Weight
	case "hammingLoss":
		return 1 - correct/c.Weight
	}
	var out float64
	for _, l := range labels {
		lw := labelW[l]
		tp := c.Counts[[2]int{l, l}]
		var prec, rec float64
		if predW[l] > 0 {
			prec = tp / predW[l]
		}
		rec = tp / lw
		var v float64
		switch metric {
		case "weightedPrecision":
			v = prec
		case "weightedRecall":
			v = rec
		case "f1":
			if prec+rec > 0 {
				v = 2 * prec * rec / (prec + rec)
			}
		}
		out += v * lw / c.Weight
	}
	return out
}

// MaxMatrixClasses bounds the classes Matrix lays out: beyond it a dense
// matrix says little and could not be held (a label of 10^6 asks for 10^12
// cells); the metrics come from the sparse counts all the same.
const MaxMatrixClasses = 1000

// Matrix returns the confusion matrix as rows of labels 0…n−1 by
// predictions 0…n−1, n covering every label and prediction seen; nil when
// n is above MaxMatrixClasses.
func (c *Confusion) Matrix() [][]float64 {
	n := 0
	for key := range c.Counts {
		n = max(n, key[0]+1, key[1]+1)
	}
	if n > MaxMatrixClasses {
		return nil
	}
	m := make([][]float64, n)
	for i := range m {
		m[i] = make([]float64, n)
	}
	for key, w := range c.Counts {
		m[key[0]][key[1]] = w
	}
	return m
}

// RegressionEvaluator scores numeric predictions: rmse (default), mse,
// mae, r2 (1 − SSres/SStot, SStot about the weighted mean label) and var
// (explained variance), as Spark's RegressionMetrics.
type RegressionEvaluator struct {
	MetricName string
	// PredictionCol, LabelCol, WeightCol: defaults prediction, label, none.
	PredictionCol, LabelCol, WeightCol string
}

// RegressionSums are the weighted sums the metrics need.
type RegressionSums struct {
	W, SumY, SumY2, SumErr2, SumAbsErr, SumP, SumP2 float64
}

type regressionKernel struct{ PredictionCol, LabelCol, WeightCol string }

func (regressionKernel) KernelName() string    { return "evaluation.RegressionSums" }
func (regressionKernel) Zero() *RegressionSums { return &RegressionSums{} }

func (k regressionKernel) Fold(_ context.Context, info engine.PartitionInfo, acc *RegressionSums, b *table.Batch) (*RegressionSums, error) {
	pc, lc, wc, err := valueLabelWeight(b, k.PredictionCol, k.LabelCol, k.WeightCol)
	if err != nil {
		return nil, err
	}
	for i := 0; i < b.NumRows(); i++ {
		if pc.IsNull(i) || lc.IsNull(i) {
			return nil, fmt.Errorf("%s: null prediction or label", engine.RowName(info, b, i))
		}
		p, y, w := scalar(pc, i, 0), scalar(lc, i, 0), weightAt(wc, i)
		acc.W += w
		acc.SumY += w * y
		acc.SumY2 += w * y * y
		acc.SumP += w * p
		acc.SumP2 += w * p * p
		acc.SumErr2 += w * (y - p) * (y - p)
		acc.SumAbsErr += w * math.Abs(y-p)
	}
	return acc, nil
}

func (regressionKernel) Merge(a, b *RegressionSums) (*RegressionSums, error) {
	a.W += b.W
	a.SumY += b.SumY
	a.SumY2 += b.SumY2
	a.SumP += b.SumP
	a.SumP2 += b.SumP2
	a.SumErr2 += b.SumErr2
	a.SumAbsErr += b.SumAbsErr
	return a, nil
}

// IsLargerBetter implements Evaluator.
func (ev *RegressionEvaluator) IsLargerBetter() bool {
	m := orDefault(ev.MetricName, "rmse")
	return m == "r2" || m == "var"
}

// Evaluate implements Evaluator.
func (ev *RegressionEvaluator) Evaluate(ctx context.Context, e engine.Engine, ds engine.Dataset) (float64, error) {
	metric := orDefault(ev.MetricName, "rmse")
	switch metric {
	case "rmse", "mse", "mae", "r2", "var":
	default:
		return 0, fmt.Errorf("RegressionEvaluator: metricName %q is not one of rmse, mse, mae, r2, var", metric)
	}
	k := regressionKernel{PredictionCol: orDefault(ev.PredictionCol, "prediction"), LabelCol: orDefault(ev.LabelCol, "label"), WeightCol: ev.WeightCol}
	for _, c := range []string{k.PredictionCol, k.LabelCol} {
		if ds.Schema().Index(c) < 0 {
			return 0, fmt.Errorf("RegressionEvaluator: column %q does not exist (columns: %v)", c, ds.Schema().Names())
		}
	}
	s, err := engine.Aggregate(ctx, e, ds, k)
	if err != nil {
		return 0, fmt.Errorf("RegressionEvaluator: %w", err)
	}
	if s.W == 0 {
		return 0, fmt.Errorf("RegressionEvaluator: no rows to evaluate")
	}
	mse := s.SumErr2 / s.W
	meanY := s.SumY / s.W
	ssTot := s.SumY2 - s.W*meanY*meanY
	switch metric {
	case "rmse":
		return math.Sqrt(mse), nil
	case "mse":
		return mse, nil
	case "mae":
		return s.SumAbsErr / s.W, nil
	case "r2":
		return 1 - s.SumErr2/ssTot, nil
	}
	// Explained variance: Σw(p − ȳ)² / Σw, as Spark's explainedVariance.
	return (s.SumP2 - 2*meanY*s.SumP + s.W*meanY*meanY) / s.W, nil
}

// Curves computes the ROC curve (false positive rate, true positive rate)
// and the precision–recall curve (recall, precision) of a binary
// classifier's scores (ev's columns, as Evaluate reads them) in one pass,
// as Spark's BinaryClassificationMetrics.roc and pr do: one point per
// distinct score, from the highest, after (0, 0) for ROC and (0, first
// precision) for PR. Curves with more than maxPoints points are thinned
// to about maxPoints, evenly by rank, keeping both ends, for plotting.
func (ev *BinaryClassificationEvaluator) Curves(ctx context.Context, e engine.Engine, ds engine.Dataset, maxPoints int) (roc, pr [][2]float64, err error) {
	sc, err := ev.scoreCounts(ctx, e, ds)
	if err != nil {
		return nil, nil, err
	}
	scores, P, N, err := sc.ranked()
	if err != nil {
		return nil, nil, err
	}
	roc = append(roc, [2]float64{0, 0})
	pr = append(pr, [2]float64{0, sc.Pos[scores[0]] / (sc.Pos[scores[0]] + sc.Neg[scores[0]])})
	var tp, fp float64
	for _, s := range scores {
		tp += sc.Pos[s]
		fp += sc.Neg[s]
		roc = append(roc, [2]float64{fp / N, tp / P})
		pr = append(pr, [2]float64{tp / P, tp / (tp + fp)})
	}
	return thin(roc, maxPoints), thin(pr, maxPoints), nil
}

// thin keeps about n points of a curve, evenly by rank, with both ends.
func thin(c [][2]float64, n int) [][2]float64 {
	if n < 2 || len(c) <= n {
		return c
	}
	out := make([][2]float64, 0, n)
	for i := range n {
		out = append(out, c[i*(len(c)-1)/(n-1)])
	}
	return out
}
