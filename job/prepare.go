package job

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/format"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/pipeline"
	"github.com/spindle-ml/spindle/profile"
	"github.com/spindle-ml/spindle/storage"
)

// prepareData is a data-preparation run (a spec with stages and no
// models): the shared stages, then each variant's, are fitted on every
// row; each variant's rows are written to processed/<variant> in
// output.format (by the workers, on a cluster engine), its fitted
// pipeline is saved to models/<variant> (raw input to the last stage's
// output, for 'spindle predict' to apply to new data), and what was
// written is profiled into the variant's report.
func (r *runner) prepareData(ctx context.Context, ds engine.Dataset) error {
	if err := r.startOutput(ctx); err != nil {
		return err
	}
	r.passes.SetPhase(PhaseFeaturize)
	r.input = ds.Schema()
	start := time.Now()
	shared, all, err := r.fitAll(ctx, "shared stages", r.shared, ds)
	if err != nil {
		return err
	}
	r.rep.SharedSeconds = since(start)
	r.reports = make([]*VariantReport, len(r.s.Variants))
	errs := engine.Lockstep(ctx, r.e, len(r.s.Variants), func(ctx context.Context, vi int, e engine.Engine) error {
		vr := *r
		vr.e = e
		return vr.prepareVariant(ctx, vi, shared, all)
	})
	return errors.Join(errs...)
}

// fitAll fits stages on ds and returns them fitted with ds transformed
// and stored.
func (r *runner) fitAll(ctx context.Context, what string, stages []any, ds engine.Dataset) ([]ml.Transformer, engine.Dataset, error) {
	if len(stages) == 0 {
		return nil, ds, nil
	}
	p := &pipeline.Pipeline{Stages: stages, Progress: func(i int, name string) {
		r.prog(Event{Step: fmt.Sprintf("%s: %s", what, ml.StageName(stages[i]))})
		r.log.Info("fit stage", "in", what, "stage", ml.StageName(stages[i]))
	}}
	pm, err := p.Fit(ctx, r.e, ds)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	out, err := pm.Transform(ctx, r.e, ds)
	if err == nil {
		out, err = r.e.Persist(ctx, out)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	return pm.Stages, out, nil
}

// prepareVariant fits, writes, saves and profiles variant vi.
func (r *runner) prepareVariant(ctx context.Context, vi int, shared []ml.Transformer, all engine.Dataset) error {
	v := r.s.Variants[vi]
	vr := VariantReport{Name: v.Name, Models: []ModelReport{}}
	start := time.Now()
	r.prog(Event{Step: "featurize " + v.Name})
	fitted, out, err := r.fitAll(engine.WithPhase(ctx, PhaseFeaturize), "variant "+v.Name, r.variants[vi], all)
	if err != nil {
		return err
	}
	vr.FeaturizeSeconds = since(start)
	wctx := engine.WithPhase(ctx, PhaseWrite)
	r.prog(Event{Step: "write " + v.Name})
	wstart := time.Now()
	if vr.Processed, vr.Rows, err = r.writeRows(wctx, "processed/"+v.Name, out); err != nil {
		return fmt.Errorf("variant %s: %w", v.Name, err)
	}
	if r.s.Output.SaveModels {
		pm := &pipeline.PipelineModel{Stages: append(append([]ml.Transformer(nil), shared...), fitted...)}
		if pm.Input, err = r.input.Select(pm.InputColumns()...); err != nil {
			return fmt.Errorf("save %s: %w", v.Name, err)
		}
		dir := "models/" + v.Name
		if err := pipeline.Save(wctx, r.st, storage.Join(r.out, dir), pm, pipeline.SaveOptions{
			Overwrite: true, SpindleVersion: r.o.SpindleVersion, RunID: r.info.RunID}); err != nil {
			return fmt.Errorf("save %s: %w", v.Name, err)
		}
		vr.Model = dir
	}
	writeSeconds, pstart := since(wstart), time.Now()
	prof, err := profile.Run(engine.WithPhase(ctx, PhaseEvaluate), r.e, out, profile.Profiler{})
	if err != nil {
		return fmt.Errorf("variant %s: profile: %w", v.Name, err)
	}
	vr.Profile = prof.Columns
	r.log.Info("prepared", "variant", v.Name, "rows", vr.Rows, "columns", len(vr.Profile), "out", vr.Processed,
		"featurizeSeconds", vr.FeaturizeSeconds, "writeSeconds", writeSeconds, "profileSeconds", since(pstart))
	return r.modelDone(ctx, vi, vr)
}

// writeRows writes ds under the output directory at rel (plus the
// format's extension for one file) in output.format: one file on the
// embedded engine, a directory of part files and their _SUCCESS written
// by the workers on a cluster engine. It returns the path written and the
// rows.
func (r *runner) writeRows(ctx context.Context, rel string, ds engine.Dataset) (string, int64, error) {
	o := format.Options{Format: r.s.Output.Format, LabelCol: r.s.Label.IndexedCol}
	if o.Format == "" {
		o.Format = format.Parquet
	}
	if !engine.IsResident(r.e) {
		m, err := format.WriteParts(ctx, r.e, r.st, ds, storage.Join(r.out, rel), o, r.info.RunID)
		if err != nil {
			return "", 0, err
		}
		r.log.Info("processed data", "dir", rel, "files", len(m.Files), "rows", m.Rows)
		return rel, m.Rows, nil
	}
	rel += "." + string(o.Format)
	tb, err := r.e.Collect(ctx, ds)
	if err != nil {
		return "", 0, err
	}
	if err := format.Write(ctx, r.st, storage.Join(r.out, rel), tb, o); err != nil {
		return "", 0, err
	}
	return rel, tb.Count(), nil
}
