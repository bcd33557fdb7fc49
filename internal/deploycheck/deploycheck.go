// Package deploycheck checks the Terraform/OpenTofu configurations under
// deploy/ offline, from the HCL itself (no provider needed): no s3:* or *
// allowed on every resource, no security-group ingress from anywhere,
// encryption and a full public-access block on every bucket, and no
// literal credentials in any file.
package deploycheck

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// Finding is one broken rule at a place.
type Finding struct {
	Rule string
	Pos  hcl.Pos
	File string
	Msg  string
}

func (f Finding) String() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s", f.File, f.Pos.Line, f.Pos.Column, f.Rule, f.Msg)
}

// Rule names.
const (
	RuleWildcardS3     = "no-wildcard-s3"
	RulePublicIngress  = "no-public-ingress"
	RuleBucketSecurity = "bucket-encryption-and-public-access-block"
	RuleCredentials    = "no-literal-credentials"
)

// Config is the parsed .tf files of a tree, with every file's text for the
// credentials scan.
type Config struct {
	files map[string]*hclsyntax.Body
	texts map[string][]byte
}

// Load parses every .tf file under dir and reads every other file but Go
// sources (for the credentials scan).
func Load(dir string) (*Config, error) {
	c := &Config{files: map[string]*hclsyntax.Body{}, texts: map[string][]byte{}}
	p := hclparse.NewParser()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && path != dir {
				return filepath.SkipDir // .terraform and the like
			}
			return nil
		}
		if filepath.Ext(path) == ".go" {
			return nil // the checker's own tests and docs, not configuration
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		c.texts[path] = data
		if filepath.Ext(path) == ".tf" {
			f, diags := p.ParseHCL(data, path)
			if diags.HasErrors() {
				return fmt.Errorf("%s", diags.Error())
			}
			c.files[path] = f.Body.(*hclsyntax.Body)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Parse builds a Config from named sources (for tests).
func Parse(sources map[string]string) (*Config, error) {
	c := &Config{files: map[string]*hclsyntax.Body{}, texts: map[string][]byte{}}
	p := hclparse.NewParser()
	for name, src := range sources {
		c.texts[name] = []byte(src)
		if strings.HasSuffix(name, ".tf") {
			f, diags := p.ParseHCL([]byte(src), name)
			if diags.HasErrors() {
				return nil, fmt.Errorf("%s", diags.Error())
			}
			c.files[name] = f.Body.(*hclsyntax.Body)
		}
	}
	return c, nil
}

// Resources counts the resource blocks of each type (to check the rules
// saw something).
func (c *Config) Resources() map[string]int {
	out := map[string]int{}
	for _, body := range c.files {
		for _, b := range body.Blocks {
			if b.Type == "resource" && len(b.Labels) == 2 {
				out[b.Labels[0]]++
			}
		}
	}
	return out
}

// Check applies every rule and returns the findings, sorted.
func (c *Config) Check() []Finding {
	var out []Finding
	for name, body := range c.files {
		out = append(out, checkWildcardS3(name, body)...)
		out = append(out, checkIngress(name, body)...)
	}
	out = append(out, c.checkBuckets()...)
	out = append(out, c.checkCredentials()...)
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// evalCtx knows the functions literal policies use.
var evalCtx = &hcl.EvalContext{Functions: map[string]function.Function{
	"jsonencode": stdlib.JSONEncodeFunc,
}}

// literal evaluates an expression with no variables; ok is false when it
// needs any (a reference, a function of one).
func literal(e hclsyntax.Expression) (cty.Value, bool) {
	v, diags := e.Value(evalCtx)
	if diags.HasErrors() || !v.IsWhollyKnown() {
		return cty.NilVal, false
	}
	return v, true
}

func strings_(v cty.Value) []string {
	var out []string
	if v.IsNull() {
		return nil
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return []string{v.AsString()}
	case t.IsListType() || t.IsTupleType() || t.IsSetType():
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if e.Type() == cty.String && !e.IsNull() {
				out = append(out, e.AsString())
			}
		}
	}
	return out
}

func attrStrings(b *hclsyntax.Body, name string) ([]string, bool) {
	a, ok := b.Attributes[name]
	if !ok {
		return nil, false
	}
	v, ok := literal(a.Expr)
	if !ok {
		return nil, false
	}
	return strings_(v), true
}

func wildcardAction(actions []string) bool {
	for _, a := range actions {
		if a == "*" || strings.EqualFold(a, "s3:*") {
			return true
		}
	}
	return false
}

// checkWildcardS3 finds allow statements granting s3:* (or *) on resource
// "*", in policy documents and in literal JSON policies.
func checkWildcardS3(file string, body *hclsyntax.Body) []Finding {
	var out []Finding
	for _, b := range body.Blocks {
		if b.Type == "data" && len(b.Labels) == 2 && b.Labels[0] == "aws_iam_policy_document" {
			for _, st := range b.Body.Blocks {
				if st.Type != "statement" {
					continue
				}
				if eff, ok := attrStrings(st.Body, "effect"); ok && len(eff) == 1 && eff[0] == "Deny" {
					continue
				}
				acts, _ := attrStrings(st.Body, "actions")
				res, _ := attrStrings(st.Body, "resources")
				if wildcardAction(acts) && contains(res, "*") {
					out = append(out, Finding{RuleWildcardS3, st.TypeRange.Start, file, fmt.Sprintf("data.aws_iam_policy_document.%s allows %v on every resource", b.Labels[1], acts)})
				}
			}
		}
		if b.Type == "resource" && len(b.Labels) == 2 {
			if a, ok := b.Body.Attributes["policy"]; ok {
				if v, ok := literal(a.Expr); ok {
					if doc := jsonPolicy(v); doc != nil {
						for _, st := range doc {
							if st.allowAll() {
								out = append(out, Finding{RuleWildcardS3, a.SrcRange.Start, file, fmt.Sprintf("%s.%s policy allows %v on every resource", b.Labels[0], b.Labels[1], st.Action)})
							}
						}
					}
				}
			}
		}
	}
	return out
}

type jsonStatement struct {
	Effect   string
	Action   any
	Resource any
}

func anyStrings(x any) []string {
	switch x := x.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func (s jsonStatement) allowAll() bool {
	return s.Effect != "Deny" && wildcardAction(anyStrings(s.Action)) && contains(anyStrings(s.Resource), "*")
}

// jsonPolicy reads a policy given as a JSON string or as an object
// (jsonencode of a literal).
func jsonPolicy(v cty.Value) []jsonStatement {
	var raw []byte
	if v.Type() == cty.String {
		raw = []byte(v.AsString())
	} else {
		return nil
	}
	var doc struct{ Statement json.RawMessage }
	if json.Unmarshal(raw, &doc) != nil {
		return nil
	}
	var many []jsonStatement
	if json.Unmarshal(doc.Statement, &many) == nil {
		return many
	}
	var one jsonStatement
	if json.Unmarshal(doc.Statement, &one) == nil {
		return []jsonStatement{one}
	}
	return nil
}

func contains(xs []string, x string) bool {
	for _, e := range xs {
		if e == x {
			return true
		}
	}
	return false
}

var publicCIDRs = []string{"0.0.0.0/0", "::/0"}

func public(cidrs []string) bool {
	for _, c := range cidrs {
		if contains(publicCIDRs, c) {
			return true
		}
	}
	return false
}

// checkIngress finds security-group ingress open to the internet.
func checkIngress(file string, body *hclsyntax.Body) []Finding {
	var out []Finding
	for _, b := range body.Blocks {
		if b.Type != "resource" || len(b.Labels) != 2 {
			continue
		}
		name := b.Labels[0] + "." + b.Labels[1]
		switch b.Labels[0] {
		case "aws_security_group":
			for _, in := range b.Body.Blocks {
				if in.Type != "ingress" {
					continue
				}
				v4, _ := attrStrings(in.Body, "cidr_blocks")
				v6, _ := attrStrings(in.Body, "ipv6_cidr_blocks")
				if public(v4) || public(v6) {
					out = append(out, Finding{RulePublicIngress, in.TypeRange.Start, file, name + " allows ingress from anywhere"})
				}
			}
		case "aws_security_group_rule":
			typ, _ := attrStrings(b.Body, "type")
			v4, _ := attrStrings(b.Body, "cidr_blocks")
			v6, _ := attrStrings(b.Body, "ipv6_cidr_blocks")
			if contains(typ, "ingress") && (public(v4) || public(v6)) {
				out = append(out, Finding{RulePublicIngress, b.TypeRange.Start, file, name + " allows ingress from anywhere"})
			}
		case "aws_vpc_security_group_ingress_rule":
			v4, _ := attrStrings(b.Body, "cidr_ipv4")
			v6, _ := attrStrings(b.Body, "cidr_ipv6")
			if public(v4) || public(v6) {
				out = append(out, Finding{RulePublicIngress, b.TypeRange.Start, file, name + " allows ingress from anywhere"})
			}
		}
	}
	return out
}

// refersTo reports whether expression e mentions resource typ.name.
func refersTo(e hclsyntax.Expression, typ, name string) bool {
	for _, t := range e.Variables() {
		if t.RootName() != typ || len(t) < 2 {
			continue
		}
		if a, ok := t[1].(hcl.TraverseAttr); ok && a.Name == name {
			return true
		}
	}
	return false
}

// covers reports whether a bucket-settings block applies to bucket name:
// its bucket attribute or its for_each names aws_s3_bucket.<name>.
func covers(b *hclsyntax.Block, name string) bool {
	for _, attr := range []string{"bucket", "for_each"} {
		if a, ok := b.Body.Attributes[attr]; ok && refersTo(a.Expr, "aws_s3_bucket", name) {
			return true
		}
	}
	return false
}

// checkBuckets requires, for every aws_s3_bucket, an encryption
// configuration and a public-access block with all four settings true.
func (c *Config) checkBuckets() []Finding {
	type block struct {
		file string
		b    *hclsyntax.Block
	}
	var buckets, sse, pab []block
	for file, body := range c.files {
		for _, b := range body.Blocks {
			if b.Type != "resource" || len(b.Labels) != 2 {
				continue
			}
			switch b.Labels[0] {
			case "aws_s3_bucket":
				buckets = append(buckets, block{file, b})
			case "aws_s3_bucket_server_side_encryption_configuration":
				sse = append(sse, block{file, b})
			case "aws_s3_bucket_public_access_block":
				pab = append(pab, block{file, b})
			}
		}
	}
	var out []Finding
	for _, bk := range buckets {
		name := bk.b.Labels[1]
		encrypted := false
		for _, s := range sse {
			if !covers(s.b, name) {
				continue
			}
			for _, r := range s.b.Body.Blocks {
				for _, d := range r.Body.Blocks {
					if r.Type == "rule" && d.Type == "apply_server_side_encryption_by_default" {
						if _, ok := d.Body.Attributes["sse_algorithm"]; ok {
							encrypted = true
						}
					}
				}
			}
		}
		if !encrypted {
			out = append(out, Finding{RuleBucketSecurity, bk.b.TypeRange.Start, bk.file, "aws_s3_bucket." + name + " has no server-side encryption configuration"})
		}
		blocked := false
		for _, p := range pab {
			if !covers(p.b, name) {
				continue
			}
			all := true
			for _, s := range []string{"block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"} {
				a, ok := p.b.Body.Attributes[s]
				if !ok {
					all = false
					continue
				}
				v, ok := literal(a.Expr)
				if !ok || v.Type() != cty.Bool || v.IsNull() || !v.True() {
					all = false
				}
			}
			blocked = blocked || all
		}
		if !blocked {
			out = append(out, Finding{RuleBucketSecurity, bk.b.TypeRange.Start, bk.file, "aws_s3_bucket." + name + " has no public-access block with all four settings true"})
		}
	}
	return out
}

var credentialPatterns = []*regexp.Regexp{
	regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`),
	regexp.MustCompile(`(?i)\b(aws_)?secret_access_key\s*[=:]\s*["']?[A-Za-z0-9/+]{20,}`),
	regexp.MustCompile(`(?i)\b(access_key|secret_key|session_token)\s*=\s*"[^"$]+"`),
	regexp.MustCompile(`-----BEGIN ([A-Z]+ )?PRIVATE KEY-----`),
}

// checkCredentials scans every file under the tree for credentials.
func (c *Config) checkCredentials() []Finding {
	var out []Finding
	for file, text := range c.texts {
		for _, re := range credentialPatterns {
			if loc := re.FindIndex(text); loc != nil {
				line := 1 + strings.Count(string(text[:loc[0]]), "\n")
				out = append(out, Finding{RuleCredentials, hcl.Pos{Line: line, Column: 1}, file, "looks like a literal credential: " + re.String()})
			}
		}
	}
	return out
}
