package acl

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// ParseError lists every problem found in a policy's rules, each starting
// with its line ("line 3: ..."), in the order of the text.
type ParseError struct {
	Problems []string
}

func (e *ParseError) Error() string {
	return "invalid ACL policy: " + strings.Join(e.Problems, "; ")
}

// Block and attribute names of the rules language.
const (
	blockNamespace     = "namespace"
	blockNode          = "node"
	blockAgent         = "agent"
	blockOperator      = "operator"
	attrPolicy         = "policy"
	attrCapabilities   = "capabilities"
	policyFileName     = "policy.hcl"
	validBlocksMessage = `valid blocks: namespace "<name>", node, agent, operator`
)

// Parse reads policy rules written in HCL:
//
//	namespace "prod"  { policy = "write"  capabilities = ["submit-privileged-job"] }
//	namespace "dev-*" { policy = "read" }
//	node { policy = "read" }   agent { policy = "write" }   operator { policy = "read" }
//
// Everything it does not know is an error naming the line and the valid
// values, because a misspelt rule that was silently ignored would leave a
// door open or shut without anyone knowing. The error is a *ParseError.
func Parse(rules string) (*Policy, error) {
	p := &parser{}
	policy := p.parse(rules)
	if len(p.problems) > 0 {
		sort.SliceStable(p.problems, func(i, j int) bool { return p.problems[i].at < p.problems[j].at })
		e := &ParseError{}
		for _, pr := range p.problems {
			e.Problems = append(e.Problems, pr.text)
		}
		return nil, e
	}
	return policy, nil
}

type problem struct {
	at   int // byte offset, to sort
	text string
}

type parser struct {
	problems []problem
	lines    lineMap
}

func (p *parser) errorf(rng hcl.Range, format string, args ...any) {
	at := p.lines.original(rng.Start.Byte)
	p.problems = append(p.problems, problem{
		at:   at,
		text: fmt.Sprintf("line %d: ", p.lines.lineAt(rng.Start.Byte)) + fmt.Sprintf(format, args...),
	})
}

func (p *parser) parse(rules string) *Policy {
	split, inserted := splitLines(rules)
	p.lines = lineMap{src: rules, inserted: inserted}
	file, diags := hclsyntax.ParseConfig([]byte(split), policyFileName, hcl.InitialPos)
	if diags.HasErrors() {
		for _, d := range diags {
			if d.Severity != hcl.DiagError {
				continue
			}
			rng := hcl.Range{Start: hcl.InitialPos}
			if d.Subject != nil {
				rng = *d.Subject
			}
			p.errorf(rng, "%s", strings.TrimSuffix(d.Summary+"; "+d.Detail, "; "))
		}
		return nil
	}
	body := file.Body.(*hclsyntax.Body)
	if len(body.Attributes) == 0 && len(body.Blocks) == 0 {
		p.problems = append(p.problems, problem{text: "policy has no rules; " + validBlocksMessage})
		return nil
	}
	for _, attr := range body.Attributes {
		p.errorf(attr.NameRange, "unexpected attribute %q at the top level; %s", attr.Name, validBlocksMessage)
	}

	policy := &Policy{}
	seenNamespace := map[string]int{} // name -> line
	seenCoarse := map[string]int{}    // block type -> line
	for _, b := range body.Blocks {
		switch b.Type {
		case blockNamespace:
			if r := p.namespaceRule(b, seenNamespace); r != nil {
				policy.Namespaces = append(policy.Namespaces, r)
			}
		case blockNode, blockAgent, blockOperator:
			value := p.coarseRule(b, seenCoarse)
			switch b.Type {
			case blockNode:
				policy.Node = value
			case blockAgent:
				policy.Agent = value
			case blockOperator:
				policy.Operator = value
			}
		default:
			p.errorf(b.TypeRange, "unknown block %q; %s", b.Type, validBlocksMessage)
		}
	}
	return policy
}

func (p *parser) namespaceRule(b *hclsyntax.Block, seen map[string]int) *NamespaceRule {
	if len(b.Labels) != 1 {
		p.errorf(b.TypeRange, `a namespace block takes one name, as in namespace "prod" { policy = "read" }; this one has %d`, len(b.Labels))
		return nil
	}
	name := b.Labels[0]
	if err := validatePattern(name); err != nil {
		p.errorf(b.LabelRanges[0], "%v", err)
		return nil
	}
	if line, dup := seen[name]; dup {
		p.errorf(b.LabelRanges[0], "namespace %q is already given a rule on line %d; merge the two", name, line)
		return nil
	}
	seen[name] = p.lines.lineAt(b.TypeRange.Start.Byte)

	where := fmt.Sprintf("namespace %q", name)
	p.noBlocks(b.Body, where, "policy, capabilities")
	r := &NamespaceRule{Name: name}
	for _, attr := range sortedAttributes(b.Body) {
		switch attr.Name {
		case attrPolicy:
			r.Policy = p.policyValue(attr, where)
		case attrCapabilities:
			r.Capabilities = p.capabilitiesValue(attr, where)
		default:
			p.errorf(attr.NameRange, "unknown attribute %q in %s; valid attributes: policy, capabilities", attr.Name, where)
		}
	}
	if _, ok := b.Body.Attributes[attrPolicy]; !ok {
		if _, ok := b.Body.Attributes[attrCapabilities]; !ok {
			p.errorf(b.TypeRange, `%s grants nothing: set policy (deny, read or write) or capabilities; to refuse the namespace, write policy = "deny"`, where)
		}
	}
	return r
}

func (p *parser) coarseRule(b *hclsyntax.Block, seen map[string]int) string {
	if len(b.Labels) != 0 {
		p.errorf(b.LabelRanges[0], "a %s block takes no name, as in %s { policy = \"read\" }", b.Type, b.Type)
		return ""
	}
	if line, dup := seen[b.Type]; dup {
		p.errorf(b.TypeRange, "%s is already given a rule on line %d; a policy has one %s block", b.Type, line, b.Type)
		return ""
	}
	seen[b.Type] = p.lines.lineAt(b.TypeRange.Start.Byte)

	p.noBlocks(b.Body, b.Type, "policy")
	value := ""
	for _, attr := range sortedAttributes(b.Body) {
		if attr.Name != attrPolicy {
			p.errorf(attr.NameRange, "unknown attribute %q in %s; valid attributes: policy", attr.Name, b.Type)
			continue
		}
		value = p.policyValue(attr, b.Type)
	}
	if _, ok := b.Body.Attributes[attrPolicy]; !ok {
		p.errorf(b.TypeRange, "%s needs a policy; valid values: %s", b.Type, strings.Join(validPolicies, ", "))
	}
	return value
}

func (p *parser) noBlocks(body *hclsyntax.Body, where, valid string) {
	for _, inner := range body.Blocks {
		p.errorf(inner.TypeRange, "unexpected block %q in %s; valid attributes: %s", inner.Type, where, valid)
	}
}

func (p *parser) policyValue(attr *hclsyntax.Attribute, where string) string {
	valid := strings.Join(validPolicies, ", ")
	var v string
	if diags := gohcl.DecodeExpression(attr.Expr, nil, &v); diags.HasErrors() {
		p.errorf(attr.Expr.Range(), `policy of %s must be a quoted string; valid values: %s`, where, valid)
		return ""
	}
	if !isValidPolicy(v) {
		p.errorf(attr.Expr.Range(), "unknown policy %q in %s; valid values: %s", v, where, valid)
		return ""
	}
	return v
}

func (p *parser) capabilitiesValue(attr *hclsyntax.Attribute, where string) []string {
	valid := strings.Join(allCapabilities, ", ")
	var v []string
	if diags := gohcl.DecodeExpression(attr.Expr, nil, &v); diags.HasErrors() {
		p.errorf(attr.Expr.Range(), `capabilities of %s must be a list of quoted strings, as in ["read-logs"]; valid values: %s`, where, valid)
		return nil
	}
	var out []string
	for i, c := range v {
		rng := attr.Expr.Range()
		if t, ok := attr.Expr.(*hclsyntax.TupleConsExpr); ok && i < len(t.Exprs) {
			rng = t.Exprs[i].Range()
		}
		if !isValidCapability(c) {
			p.errorf(rng, "unknown capability %q in %s; valid values: %s", c, where, valid)
			continue
		}
		out = append(out, c)
	}
	return out
}

// sortedAttributes returns a body's attributes in the order of the text
// (hclsyntax keeps them in a map), so that results do not vary.
func sortedAttributes(body *hclsyntax.Body) []*hclsyntax.Attribute {
	attrs := make([]*hclsyntax.Attribute, 0, len(body.Attributes))
	for _, a := range body.Attributes {
		attrs = append(attrs, a)
	}
	sort.Slice(attrs, func(i, j int) bool { return attrs[i].SrcRange.Start.Byte < attrs[j].SrcRange.Start.Byte })
	return attrs
}
