package job

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/sched"
	"github.com/spindle-ml/spindle/format"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/pipeline"
	"github.com/spindle-ml/spindle/profile"
	"github.com/spindle-ml/spindle/runrecord"
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
	shared, all, _, err := r.fitStages(ctx, "shared stages", r.shared, ds, nil, nil)
	if err != nil {
		return err
	}
	r.rep.SharedSeconds = since(start)
	r.reports = make([]*runrecord.VariantReport, len(r.s.Variants))
	errs := sched.Lockstep(ctx, r.e, len(r.s.Variants), func(ctx context.Context, vi int, e engine.Engine) error {
		vr := *r
		vr.e = e
		return vr.prepareVariant(ctx, vi, shared, all)
	})
	return errors.Join(errs...)
}

// prepareVariant fits, writes, saves and profiles variant vi.
func (r *runner) prepareVariant(ctx context.Context, vi int, shared []ml.Transformer, all engine.Dataset) error {
	v := r.s.Variants[vi]
	vr := runrecord.VariantReport{Name: v.Name, Models: []runrecord.ModelReport{}}
	start := time.Now()
	r.prog(Event{Step: "featurize " + v.Name})
	fitted, out, _, err := r.fitStages(sched.WithPhase(ctx, PhaseFeaturize), "variant "+v.Name, r.variants[vi], all, nil, nil)
	if err != nil {
		return err
	}
	vr.FeaturizeSeconds = since(start)
	wctx := sched.WithPhase(ctx, PhaseWrite)
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
	prof, err := profile.Run(sched.WithPhase(ctx, PhaseEvaluate), r.e, out, profile.Profiler{})
	if err != nil {
		return fmt.Errorf("variant %s: profile: %w", v.Name, err)
	}
	vr.Profile = prof.Columns
	r.log.Info("prepared", "variant", v.Name, "rows", vr.Rows, "columns", len(vr.Profile), "out", vr.Processed,
		"featurizeSeconds", vr.FeaturizeSeconds, "writeSeconds", writeSeconds, "profileSeconds", since(pstart))
	return r.modelDone(ctx, vi, vr)
}

// writeRows writes a data-preparation run's rows at rel in
// output.format, plus the format's extension when they are one file (the
// embedded engine), and returns the path written and the rows.
func (r *runner) writeRows(ctx context.Context, rel string, ds engine.Dataset) (string, int64, error) {
	o := format.Options{Format: r.s.Output.Format, LabelCol: r.s.Label.IndexedCol}
	if o.Format == "" {
		o.Format = format.Parquet
	}
	if engine.IsResident(r.e) {
		rel += "." + string(o.Format)
	}
	rows, err := r.writeData(ctx, rel, ds, o)
	return rel, rows, err
}
