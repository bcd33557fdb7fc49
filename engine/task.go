package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"

	"github.com/spindle-ml/spindle/table"
)

// TaskKind says what a worker does with a task's partition.
type TaskKind uint8

// The task kinds.
const (
	// TaskMap runs a Mapper; the result is the encoded output batch.
	TaskMap TaskKind = iota + 1
	// TaskFold folds the partition into a fresh partial of an Aggregator;
	// the result is the encoded partial.
	TaskFold
)

// Task is the unit of work a distributed engine sends to a worker process:
// an encoded kernel, where its partition sits, and the partition in the
// table wire format (table.EncodeBatch).
type Task struct {
	Kind   TaskKind
	Kernel []byte
	Info   PartitionInfo
	Batch  []byte
}

// NewTask encodes kernel k and batch b into a task.
func NewTask(kind TaskKind, k Kernel, info PartitionInfo, b *table.Batch) (Task, error) {
	kb, err := Encode(k)
	if err != nil {
		return Task{}, err
	}
	var bb bytes.Buffer
	if err := table.EncodeBatch(&bb, b); err != nil {
		return Task{}, err
	}
	return Task{Kind: kind, Kernel: kb, Info: info, Batch: bb.Bytes()}, nil
}

// RunTask decodes and runs one task and returns its encoded result. It is
// what a worker executes, in whatever process it lives.
func RunTask(ctx context.Context, t Task) ([]byte, error) {
	k, err := Decode(t.Kernel)
	if err != nil {
		return nil, err
	}
	b, err := table.DecodeBatch(bytes.NewReader(t.Batch))
	if err != nil {
		return nil, err
	}
	switch t.Kind {
	case TaskMap:
		m, ok := k.(Mapper)
		if !ok {
			return nil, fmt.Errorf("task: kernel %s is not a mapper", k.KernelName())
		}
		out, err := m.MapPartition(ctx, t.Info, b)
		if err != nil {
			return nil, fmt.Errorf("%s on partition %d: %w", k.KernelName(), t.Info.Index, err)
		}
		var buf bytes.Buffer
		if err := table.EncodeBatch(&buf, out); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	case TaskFold:
		a, ok := k.(AnyAggregator)
		if !ok {
			return nil, fmt.Errorf("task: kernel %s is not an aggregator", k.KernelName())
		}
		p, err := a.FoldAny(ctx, t.Info, a.ZeroAny(), b)
		if err != nil {
			return nil, fmt.Errorf("%s on partition %d: %w", k.KernelName(), t.Info.Index, err)
		}
		return a.EncodePartial(p)
	}
	return nil, fmt.Errorf("task: unknown kind %d", t.Kind)
}

// maxFrame bounds one framed message, so a corrupt length cannot make a
// worker allocate without limit.
const maxFrame = 1 << 30

type reply struct {
	Result []byte
	Err    string
}

// ServeWorker reads framed tasks from r until EOF, runs each and writes a
// framed reply to w. A failing task is reported in its reply, not by
// ending the loop. It is the body of a worker process speaking over pipes.
func ServeWorker(ctx context.Context, r io.Reader, w io.Writer) error {
	for {
		var t Task
		if err := readFrame(r, &t); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		res, err := RunTask(ctx, t)
		rep := reply{Result: res}
		if err != nil {
			rep.Err = err.Error()
		}
		if err := writeFrame(w, rep); err != nil {
			return err
		}
	}
}

// CallWorker sends t over w and reads the reply from r (the other end of
// ServeWorker). A task's own failure is returned as an error carrying the
// worker's text.
func CallWorker(w io.Writer, r io.Reader, t Task) ([]byte, error) {
	if err := writeFrame(w, t); err != nil {
		return nil, fmt.Errorf("send task: %w", err)
	}
	var rep reply
	if err := readFrame(r, &rep); err != nil {
		return nil, fmt.Errorf("read worker reply: %w", err)
	}
	if rep.Err != "" {
		return nil, fmt.Errorf("worker: %s", rep.Err)
	}
	return rep.Result, nil
}

func writeFrame(w io.Writer, v any) error {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return err
	}
	var hdr [8]byte
	binary.BigEndian.PutUint64(hdr[:], uint64(buf.Len()))
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func readFrame(r io.Reader, v any) error {
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return err
	}
	n := binary.BigEndian.Uint64(hdr[:])
	if n > maxFrame {
		return fmt.Errorf("frame of %d bytes exceeds the %d-byte limit", n, maxFrame)
	}
	return gob.NewDecoder(io.LimitReader(r, int64(n))).Decode(v)
}
