package engine

import (
	"context"
	"fmt"

	"github.com/spindle-ml/spindle/table"
)

// MapStep is one mapper of a chain and the schema it declared for its
// output (nil: ask the mapper, from its input's schema).
type MapStep struct {
	Mapper Mapper
	Schema *table.Schema
}

// RunPartition is what every engine runs for one partition, in whatever
// process: the chain of mappers in order, each output checked against the
// schema its mapper declared, then, with agg set, a fold of the result
// into a fresh partial. Errors name the kernel and the partition. It is
// the one place the engine contract's per-partition checks live, so the
// embedded and the Beam engine hold kernels to the same rules.
func RunPartition(ctx context.Context, info PartitionInfo, b *table.Batch, steps []MapStep, agg AnyAggregator) (*table.Batch, any, error) {
	for _, st := range steps {
		declared := st.Schema
		if declared == nil {
			var err error
			if declared, err = st.Mapper.OutputSchema(b.Schema()); err != nil {
				return nil, nil, fmt.Errorf("%s on partition %d: %w", st.Mapper.KernelName(), info.Index, err)
			}
		}
		out, err := st.Mapper.MapPartition(ctx, info, b)
		if err != nil {
			return nil, nil, fmt.Errorf("%s on partition %d: %w", st.Mapper.KernelName(), info.Index, err)
		}
		if !out.Schema().Equal(declared) {
			return nil, nil, fmt.Errorf("%s on partition %d: produced schema (%v), declared (%v)", st.Mapper.KernelName(), info.Index, out.Schema(), declared)
		}
		b = out
	}
	if agg == nil {
		return b, nil, nil
	}
	p, err := agg.FoldAny(ctx, info, agg.ZeroAny(), b)
	if err != nil {
		return nil, nil, fmt.Errorf("%s on partition %d: %w", agg.KernelName(), info.Index, err)
	}
	return b, p, nil
}
