// Package table is Spindle's columnar data model: a Table is a Schema and a
// list of partitions (Batches); a Batch holds one typed Column per field.
//
// Columns store values in plain Go slices of their element type ([]float64,
// []int64, []string …) with a separate validity bitmap for nulls, so numeric
// kernels loop over a []float64 and never touch an interface per cell.
//
// Partitions are the unit of parallel work: the engine runs one kernel call
// per partition. Every operation here that draws random numbers (RandomSplit,
// Sample) derives them from the seed and the row's position in the table, so
// the result does not depend on how the rows are partitioned.
package table

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
)

// Type is the type of a column.
type Type uint8

// The column types. Their names (String) are what schemas and the CLI show.
const (
	String Type = iota + 1
	Int64
	Float64
	Bool
	StringList // a list of strings per row, e.g. tokens
	Vector     // a dense or sparse linalg.Vector per row
	Bins       // a fixed number of one-byte bin indexes per row (BinsColumn)
)

var typeNames = map[Type]string{
	String:     "string",
	Int64:      "int64",
	Float64:    "float64",
	Bool:       "bool",
	StringList: "list<string>",
	Vector:     "vector",
	Bins:       "bins",
}

// String returns the type's name, e.g. "float64" or "list<string>".
func (t Type) String() string {
	if s, ok := typeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// IsNumeric reports whether t is Int64 or Float64.
func (t Type) IsNumeric() bool { return t == Int64 || t == Float64 }

// ParseType reads a type name as String writes it. It also accepts the
// aliases users bring from Spark and pandas: int, long, double, float,
// boolean, str, array<string>.
func ParseType(s string) (Type, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "string", "str", "text":
		return String, nil
	case "int64", "int", "long", "integer", "bigint":
		return Int64, nil
	case "float64", "double", "float":
		return Float64, nil
	case "bool", "boolean":
		return Bool, nil
	case "list<string>", "array<string>", "[]string":
		return StringList, nil
	case "vector":
		return Vector, nil
	}
	return 0, fmt.Errorf("unknown column type %q (allowed: string, int64, float64, bool, list<string>, vector)", s)
}

// Field is a named, typed column of a schema. Every column may hold nulls.
type Field struct {
	Name string
	Type Type
	// Categories, on a vector column, marks its categorical features
	// (Spark's nominal attributes, which VectorIndexer sets) as
	// FormatCategories writes them: "j:k,…" for feature j taking the
	// category indexes 0 … k−1. Empty: every feature is continuous. Tree
	// learners split categorical features by sets of categories.
	Categories string
}

// Schema is the ordered list of a table's fields. Treat it as immutable
// once made: Index caches a name lookup for wide schemas.
type Schema struct {
	Fields []Field
	// byName maps names to positions, built on the first Index of a wide
	// schema, so that looking up every column of a 20,000-column table
	// is linear, not quadratic.
	byName atomic.Pointer[map[string]int]
}

// indexAbove is the field count above which Index uses a map.
const indexAbove = 16

// NewSchema returns a schema of the given fields; names must be unique and
// non-empty.
func NewSchema(fields ...Field) (*Schema, error) {
	seen := make(map[string]bool, len(fields))
	for i, f := range fields {
		if f.Name == "" {
			return nil, fmt.Errorf("schema: field %d has an empty name", i+1)
		}
		if seen[f.Name] {
			return nil, fmt.Errorf("schema: duplicate field name %q", f.Name)
		}
		if _, ok := typeNames[f.Type]; !ok {
			return nil, fmt.Errorf("schema: field %q has an invalid type", f.Name)
		}
		seen[f.Name] = true
	}
	return &Schema{Fields: append([]Field(nil), fields...)}, nil
}

// Len returns the number of fields.
func (s *Schema) Len() int { return len(s.Fields) }

// Index returns the position of the named field, or -1.
func (s *Schema) Index(name string) int {
	if len(s.Fields) > indexAbove {
		m := s.byName.Load()
		if m == nil {
			built := make(map[string]int, len(s.Fields))
			for i, f := range s.Fields {
				if _, dup := built[f.Name]; !dup {
					built[f.Name] = i
				}
			}
			m = &built
			s.byName.Store(m)
		}
		if i, ok := (*m)[name]; ok {
			return i
		}
		return -1
	}
	for i, f := range s.Fields {
		if f.Name == name {
			return i
		}
	}
	return -1
}

// Names returns the field names in order.
func (s *Schema) Names() []string {
	out := make([]string, len(s.Fields))
	for i, f := range s.Fields {
		out[i] = f.Name
	}
	return out
}

// Equal reports whether s and o have the same fields in the same order.
func (s *Schema) Equal(o *Schema) bool {
	if len(s.Fields) != len(o.Fields) {
		return false
	}
	for i := range s.Fields {
		if s.Fields[i] != o.Fields[i] {
			return false
		}
	}
	return true
}

// String renders the schema as "name:type, …".
func (s *Schema) String() string {
	parts := make([]string, len(s.Fields))
	for i, f := range s.Fields {
		parts[i] = f.Name + ":" + f.Type.String()
	}
	return strings.Join(parts, ", ")
}

// FormatCategories writes the categorical features of a vector column
// (feature → number of categories) as Field.Categories holds them,
// sorted by feature.
func FormatCategories(arity map[int]int) string {
	keys := make([]int, 0, len(arity))
	for j := range arity {
		keys = append(keys, j)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, j := range keys {
		parts[i] = strconv.Itoa(j) + ":" + strconv.Itoa(arity[j])
	}
	return strings.Join(parts, ",")
}

// ParseCategories reads Field.Categories: feature → number of categories
// (nil for ""), failing on a malformed entry.
func ParseCategories(s string) (map[int]int, error) {
	if s == "" {
		return nil, nil
	}
	out := map[int]int{}
	for _, p := range strings.Split(s, ",") {
		j, k, ok := strings.Cut(p, ":")
		fj, err1 := strconv.Atoi(j)
		fk, err2 := strconv.Atoi(k)
		if !ok || err1 != nil || err2 != nil || fj < 0 || fk < 1 {
			return nil, fmt.Errorf("categorical features %q: %q is not feature:categories", s, p)
		}
		if _, dup := out[fj]; dup {
			return nil, fmt.Errorf("categorical features %q: feature %d twice", s, fj)
		}
		out[fj] = fk
	}
	return out, nil
}

// Select returns the schema of the named fields, in the order given.
func (s *Schema) Select(names ...string) (*Schema, error) {
	fields := make([]Field, len(names))
	for i, n := range names {
		j := s.Index(n)
		if j < 0 {
			return nil, fmt.Errorf("schema: no field %q (have %v)", n, s.Names())
		}
		fields[i] = s.Fields[j]
	}
	return NewSchema(fields...)
}
