package engine

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
)

// EngineInfo declares an engine implementation, chosen by name (the
// command line's --runner): the names it answers to, the settings it
// takes, and how to open it. An engine registers itself from its
// package's init function (RegisterEngine); a program that links the
// package can run on it.
type EngineInfo struct {
	// Names are the names it is chosen by; one implementation may serve
	// several (the Beam engine serves each of Beam's runners).
	Names []string
	// Kind names the family in messages: "a Beam runner".
	Kind string
	// Default says it is the engine used when no name is given (the
	// embedded one). At most one engine is the default.
	Default bool
	// Settings are the settings it takes, by their flag names.
	Settings []Setting
	// Open makes the engine for name (one of Names) from the settings
	// given (only those set, each by its flag name, values as typed).
	// It checks the settings and what it can before any work (a staging
	// location's access); a usage mistake is a *SettingError.
	Open func(ctx context.Context, name string, set []SettingValue, env Env) (Engine, error)
}

// Setting declares one engine setting, as a command-line flag.
type Setting struct {
	// Name is its flag name ("staging"); Usage its help text.
	Name, Usage string
	// Default is its value when not given, as help text shows it; Type
	// the value's type as help shows it ("int64"; default "string").
	Default, Type string
	// Bool says the flag takes no value (given alone, it is "true").
	Bool bool
	// Repeatable says the flag may be given several times (each is one
	// SettingValue, in order).
	Repeatable bool
}

// SettingValue is one setting as given.
type SettingValue struct{ Name, Value string }

// Env is what every engine may use from the program that opens it.
type Env struct {
	// S3Endpoint and Region configure S3 access (storage.Options); the
	// credentials come from the AWS SDK's default chain.
	S3Endpoint, Region string
	// Log, if set, gets the engine's debug lines.
	Log *slog.Logger
}

// engines holds the registered engines in registration order; written by
// RegisterEngine from init functions only.
var engines struct {
	sync.Mutex
	all []EngineInfo
}

// RegisterEngine declares an engine implementation, once, from an init
// function. It panics on a missing name or Open, a name registered twice
// or a second default (programming errors found at start-up).
func RegisterEngine(info EngineInfo) {
	if len(info.Names) == 0 || info.Open == nil {
		panic("engine: RegisterEngine needs Names and an Open")
	}
	engines.Lock()
	defer engines.Unlock()
	for _, other := range engines.all {
		for _, n := range info.Names {
			if slices.Contains(other.Names, n) {
				panic(fmt.Sprintf("engine: engine %q registered twice", n))
			}
		}
		if info.Default && other.Default {
			panic("engine: two default engines")
		}
	}
	engines.all = append(engines.all, info)
}

// Engines returns the registered engines, the default first, the others
// in registration order.
func Engines() []EngineInfo {
	engines.Lock()
	defer engines.Unlock()
	out := slices.Clone(engines.all)
	slices.SortStableFunc(out, func(a, b EngineInfo) int {
		switch {
		case a.Default == b.Default:
			return 0
		case a.Default:
			return -1
		}
		return 1
	})
	return out
}

// EngineNames lists every name an engine is chosen by, the default
// engine's first.
func EngineNames() []string {
	var names []string
	for _, info := range Engines() {
		names = append(names, info.Names...)
	}
	return names
}

// EngineSettings lists every registered engine's settings once each (by
// name, the first declaration kept), for a command line to offer as
// flags.
func EngineSettings() []Setting {
	var out []Setting
	for _, info := range Engines() {
		for _, s := range info.Settings {
			if !slices.ContainsFunc(out, func(o Setting) bool { return o.Name == s.Name }) {
				out = append(out, s)
			}
		}
	}
	return out
}

// SettingError is a setting (or engine name) that is wrong as given: a
// usage mistake, found before any work.
type SettingError struct{ Msg string }

func (e *SettingError) Error() string { return e.Msg }

// SettingErrorf makes a *SettingError.
func SettingErrorf(format string, args ...any) error {
	return &SettingError{fmt.Sprintf(format, args...)}
}

// OpenEngine opens the engine registered under name ("" for the
// default) with the settings given. An unknown name, or a setting the
// engine does not take (the message names the engines that take it), is
// a *SettingError; a setting given its declared default (or false) is not
// asking anything of an engine that does not take it, and is ignored.
func OpenEngine(ctx context.Context, name string, set []SettingValue, env Env) (Engine, error) {
	all := Engines()
	i := slices.IndexFunc(all, func(info EngineInfo) bool {
		return slices.Contains(info.Names, name) || (name == "" && info.Default)
	})
	if i < 0 {
		return nil, SettingErrorf("--runner %q: allowed: %s", name, strings.Join(EngineNames(), ", "))
	}
	info := all[i]
	if name == "" {
		name = info.Names[0]
	}
	for _, sv := range set {
		if slices.ContainsFunc(info.Settings, func(s Setting) bool { return s.Name == sv.Name }) {
			continue
		}
		if isDefault(all, sv) {
			continue // --spindle-pool=false, or a default written out: nothing asked of the engine
		}
		var kinds, names []string
		for _, other := range all {
			if slices.ContainsFunc(other.Settings, func(s Setting) bool { return s.Name == sv.Name }) {
				kinds = append(kinds, other.Kind)
				names = append(names, other.Names...)
			}
		}
		if len(names) == 0 {
			return nil, SettingErrorf("--%s: no engine takes this setting", sv.Name)
		}
		return nil, SettingErrorf("--%s needs %s (--runner %s)", sv.Name, strings.Join(slices.Compact(kinds), " or "), strings.Join(names, "|"))
	}
	return info.Open(ctx, name, set, env)
}

// isDefault reports whether sv gives a setting its declared default (a
// false for a flag without value).
func isDefault(all []EngineInfo, sv SettingValue) bool {
	for _, info := range all {
		for _, s := range info.Settings {
			if s.Name == sv.Name && (sv.Value == s.Default || (s.Bool && sv.Value == "false")) {
				return true
			}
		}
	}
	return false
}
