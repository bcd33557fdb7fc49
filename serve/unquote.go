package serve

import (
	"bytes"
	"encoding/json"
	"unicode/utf16"
	"unicode/utf8"
)

// unquote returns the string a JSON string literal raw denotes, raw being
// valid JSON already (the request was parsed once). It gives what
// json.Unmarshal gives — escapes decoded, a lone surrogate and invalid
// UTF-8 each replaced by U+FFFD — without validating the text a second
// time: request bodies are mostly long strings (e-mails), and a second
// json.Unmarshal per value was a fifth of the serving CPU.
func unquote(raw []byte) string {
	s := raw[1 : len(raw)-1]
	esc := bytes.IndexByte(s, '\\')
	if esc < 0 && utf8.Valid(s) {
		return string(s)
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 >= len(s) {
				return slowUnquote(raw)
			}
			i += 2
			switch s[i-1] {
			case '"', '\\', '/', '\'':
				out = append(out, s[i-1])
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := hex4(s[i:])
				if !ok {
					return slowUnquote(raw)
				}
				i += 4
				if utf16.IsSurrogate(r) {
					if len(s) >= i+6 && s[i] == '\\' && s[i+1] == 'u' {
						if r2, ok := hex4(s[i+2:]); ok {
							if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
								i += 6
								out = utf8.AppendRune(out, dec)
								break
							}
						}
					}
					r = utf8.RuneError
				}
				out = utf8.AppendRune(out, r)
			default:
				return slowUnquote(raw)
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, s[i:i+size]...)
			}
			i += size
		}
	}
	return string(out)
}

// hex4 reads the four hex digits of a \u escape.
func hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r*16 + rune(c)
	}
	return r, true
}

// slowUnquote is json.Unmarshal's answer, for what unquote does not expect
// of valid JSON.
func slowUnquote(raw []byte) string {
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}
