package conformance

import (
	"cmp"
	"fmt"
	"math"
	"reflect"
	"slices"

	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/table"
)

// Diff compares two values bit for bit and describes the first
// difference, or returns "" when they are the same: floats by their bits
// (NaN equal only to the same NaN, 0 and −0 apart), a nil list or map
// apart from an empty one, a nil pointer apart from a pointer to zero.
// Only exported fields count (caches are not what a stage is). Tables
// compare by schema and, row by row, validity and the values of valid
// rows.
func Diff(a, b any) string {
	return diff("", reflect.ValueOf(a), reflect.ValueOf(b), 0)
}

var (
	tableType  = reflect.TypeFor[*table.Table]()
	vectorType = reflect.TypeFor[linalg.Vector]()
)

func diff(path string, a, b reflect.Value, depth int) string {
	at := func(format string, args ...any) string {
		p := path
		if p == "" {
			p = "value"
		}
		return p + ": " + fmt.Sprintf(format, args...)
	}
	if depth > 100 {
		return at("nested too deep")
	}
	if !a.IsValid() || !b.IsValid() {
		if a.IsValid() != b.IsValid() {
			return at("one is nil")
		}
		return ""
	}
	if a.Type() != b.Type() {
		return at("%s against %s", a.Type(), b.Type())
	}
	if a.Type() == tableType {
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return at("one table is nil")
			}
			return ""
		}
		return tableDiff(path, a.Interface().(*table.Table), b.Interface().(*table.Table))
	}
	if a.Type() == vectorType {
		return vectorDiff(path, a.Interface().(linalg.Vector), b.Interface().(linalg.Vector))
	}
	switch a.Kind() {
	case reflect.Float32, reflect.Float64:
		x, y := a.Float(), b.Float()
		if a.Kind() == reflect.Float32 {
			if math.Float32bits(float32(x)) != math.Float32bits(float32(y)) {
				return at("%v against %v", x, y)
			}
			return ""
		}
		if math.Float64bits(x) != math.Float64bits(y) {
			return at("%v against %v (%016x against %016x)", x, y, math.Float64bits(x), math.Float64bits(y))
		}
	case reflect.Bool:
		if a.Bool() != b.Bool() {
			return at("%v against %v", a.Bool(), b.Bool())
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if a.Int() != b.Int() {
			return at("%d against %d", a.Int(), b.Int())
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if a.Uint() != b.Uint() {
			return at("%d against %d", a.Uint(), b.Uint())
		}
	case reflect.String:
		if a.String() != b.String() {
			return at("%q against %q", a.String(), b.String())
		}
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return at("nil against %s", describeNil(a, b))
			}
			return ""
		}
		return diff(path, a.Elem(), b.Elem(), depth+1)
	case reflect.Slice:
		if a.IsNil() != b.IsNil() {
			return at("nil against an empty list (or the reverse): %d and %d items, nil %v and %v", a.Len(), b.Len(), a.IsNil(), b.IsNil())
		}
		fallthrough
	case reflect.Array:
		if a.Len() != b.Len() {
			return at("%d items against %d", a.Len(), b.Len())
		}
		for i := range a.Len() {
			if d := diff(fmt.Sprintf("%s[%d]", path, i), a.Index(i), b.Index(i), depth+1); d != "" {
				return d
			}
		}
	case reflect.Map:
		if a.IsNil() != b.IsNil() {
			return at("nil against an empty mapping (or the reverse)")
		}
		if a.Len() != b.Len() {
			return at("%d entries against %d", a.Len(), b.Len())
		}
		keys := a.MapKeys()
		slices.SortFunc(keys, func(x, y reflect.Value) int {
			return compareKeys(x, y)
		})
		for _, k := range keys {
			bv := b.MapIndex(k)
			if !bv.IsValid() {
				return at("key %v missing", k)
			}
			if d := diff(fmt.Sprintf("%s[%v]", path, k), a.MapIndex(k), bv, depth+1); d != "" {
				return d
			}
		}
	case reflect.Struct:
		t := a.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			p := f.Name
			if path != "" {
				p = path + "." + f.Name
			}
			if d := diff(p, a.Field(i), b.Field(i), depth+1); d != "" {
				return d
			}
		}
	case reflect.Func:
		// Callbacks (a fit's progress) are not what a stage is.
	default:
		return at("cannot compare a %s", a.Kind())
	}
	return ""
}

func describeNil(a, b reflect.Value) string {
	if a.IsNil() {
		return fmt.Sprintf("%v", b.Elem())
	}
	return fmt.Sprintf("%v", a.Elem())
}

func compareKeys(x, y reflect.Value) int {
	switch x.Kind() {
	case reflect.String:
		return cmp.Compare(x.String(), y.String())
	case reflect.Int, reflect.Int32, reflect.Int64:
		return cmp.Compare(x.Int(), y.Int())
	case reflect.Float64:
		return cmp.Compare(x.Float(), y.Float())
	}
	return cmp.Compare(fmt.Sprint(x), fmt.Sprint(y))
}

// vectorDiff compares two vectors by what they are: size, sparse or
// dense, and each index and value bit for bit (an empty list of values
// and a nil one are the same vector).
func vectorDiff(path string, a, b linalg.Vector) string {
	if path == "" {
		path = "vector"
	}
	switch {
	case a.Size != b.Size:
		return fmt.Sprintf("%s: size %d against %d", path, a.Size, b.Size)
	case a.IsSparse() != b.IsSparse():
		return fmt.Sprintf("%s: sparse %v against %v", path, a.IsSparse(), b.IsSparse())
	case len(a.Indices) != len(b.Indices) || len(a.Values) != len(b.Values):
		return fmt.Sprintf("%s: %d/%d entries against %d/%d", path, len(a.Indices), len(a.Values), len(b.Indices), len(b.Values))
	case !slices.Equal(a.Indices, b.Indices):
		return fmt.Sprintf("%s: indices %v against %v", path, a.Indices, b.Indices)
	}
	for i := range a.Values {
		if math.Float64bits(a.Values[i]) != math.Float64bits(b.Values[i]) {
			return fmt.Sprintf("%s: value %d is %v against %v", path, i, a.Values[i], b.Values[i])
		}
	}
	return ""
}

// tableDiff compares two tables: the schema, the row count, then each
// column row by row (validity, and the value of valid rows).
func tableDiff(path string, a, b *table.Table) string {
	at := func(format string, args ...any) string {
		p := path
		if p == "" {
			p = "table"
		}
		return p + ": " + fmt.Sprintf(format, args...)
	}
	if !slices.Equal(a.Schema().Fields, b.Schema().Fields) {
		return at("schema %v against %v", a.Schema().Fields, b.Schema().Fields)
	}
	if a.Count() != b.Count() {
		return at("%d rows against %d", a.Count(), b.Count())
	}
	ab, bb := a.Concat(), b.Concat()
	for j, f := range a.Schema().Fields {
		ca, cb := ab.Column(j), bb.Column(j)
		for i := range ab.NumRows() {
			if ca.IsNull(i) != cb.IsNull(i) {
				return at("column %s, row %d: null %v against %v", f.Name, i+1, ca.IsNull(i), cb.IsNull(i))
			}
			if ca.IsNull(i) {
				continue
			}
			if d := diff(fmt.Sprintf("column %s, row %d", f.Name, i+1), reflect.ValueOf(ca.Value(i)), reflect.ValueOf(cb.Value(i)), 0); d != "" {
				return at("%s", d)
			}
		}
	}
	return ""
}
