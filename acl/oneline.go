package acl

import (
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Policies are short and the docs write them one block per line, with
// several arguments and several blocks on a line:
//
//	namespace "prod" { policy = "write"  capabilities = ["read-logs"] }
//	node { policy = "read" }   agent { policy = "write" }
//
// Plain HCL2 wants each argument and each block on a line of its own.
// splitLines finds, from the lexer's tokens, where a line break is missing
// (after a block's "{", before an argument that follows another on the same
// line, around a block's "}") and inserts one. The inserted offsets let
// lineAt report every problem on the user's own line.

// splitLines returns src with the missing line breaks inserted, and the
// offsets in src where they were inserted, ascending. Text the lexer
// refuses is returned unchanged: the parser reports it.
func splitLines(src string) (string, []int) {
	tokens, diags := hclsyntax.LexConfig([]byte(src), policyFileName, hcl.InitialPos)
	if diags.HasErrors() {
		return src, nil
	}
	// A line comment holds the line break that ends it; a block comment
	// is ignored.
	var toks []hclsyntax.Token
	for _, t := range tokens {
		if t.Type == hclsyntax.TokenComment {
			if strings.HasSuffix(string(t.Bytes), "\n") {
				toks = append(toks, hclsyntax.Token{Type: hclsyntax.TokenNewline, Range: t.Range})
			}
			continue
		}
		toks = append(toks, t)
	}
	breakAt := map[int]bool{}
	lineEnds := func(i int) bool { // toks[i] is a line break or the end
		return i < 0 || i >= len(toks) || toks[i].Type == hclsyntax.TokenNewline || toks[i].Type == hclsyntax.TokenEOF
	}
	inExpr := false // between an argument's "=" and its end
	depth := 0      // brackets and quotes open in the expression
	for i, t := range toks {
		if inExpr {
			switch t.Type {
			case hclsyntax.TokenOBrack, hclsyntax.TokenOParen, hclsyntax.TokenOBrace,
				hclsyntax.TokenOQuote, hclsyntax.TokenOHeredoc,
				hclsyntax.TokenTemplateInterp, hclsyntax.TokenTemplateControl:
				depth++
				continue
			case hclsyntax.TokenCBrack, hclsyntax.TokenCParen, hclsyntax.TokenCQuote,
				hclsyntax.TokenCHeredoc, hclsyntax.TokenTemplateSeqEnd:
				depth--
				continue
			case hclsyntax.TokenCBrace:
				if depth > 0 {
					depth--
					continue
				}
				inExpr = false // it closes the block: handled below
			case hclsyntax.TokenNewline:
				if depth == 0 {
					inExpr = false
				}
				continue
			case hclsyntax.TokenIdent:
				// At depth 0, "name =" can only start the next argument.
				if depth > 0 || i+1 >= len(toks) || toks[i+1].Type != hclsyntax.TokenEqual {
					continue
				}
				inExpr = false
			default:
				continue
			}
		}
		switch t.Type {
		case hclsyntax.TokenIdent:
			if i+1 < len(toks) && toks[i+1].Type == hclsyntax.TokenEqual {
				if !lineEnds(i-1) && toks[i-1].Type != hclsyntax.TokenOBrace {
					breakAt[t.Range.Start.Byte] = true
				}
				inExpr, depth = true, 0
			}
		case hclsyntax.TokenOBrace:
			if !lineEnds(i + 1) {
				breakAt[t.Range.End.Byte] = true
			}
		case hclsyntax.TokenCBrace:
			if !lineEnds(i-1) && toks[i-1].Type != hclsyntax.TokenOBrace {
				breakAt[t.Range.Start.Byte] = true
			}
			if !lineEnds(i + 1) {
				breakAt[t.Range.End.Byte] = true
			}
		}
	}
	if len(breakAt) == 0 {
		return src, nil
	}
	offsets := make([]int, 0, len(breakAt))
	for off := range breakAt {
		offsets = append(offsets, off)
	}
	sort.Ints(offsets)
	var b strings.Builder
	prev := 0
	for _, off := range offsets {
		b.WriteString(src[prev:off])
		b.WriteByte('\n')
		prev = off
	}
	b.WriteString(src[prev:])
	return b.String(), offsets
}

// lineMap turns an offset in the split text back into the user's line.
type lineMap struct {
	src      string
	inserted []int // offsets in src, ascending
}

// original returns the offset in src of offset off of the split text.
func (m lineMap) original(off int) int {
	// The k-th insertion sits at split offset inserted[k]+k; every one
	// before off shifts it by one.
	n := sort.Search(len(m.inserted), func(k int) bool { return m.inserted[k]+k >= off })
	orig := off - n
	return min(max(orig, 0), len(m.src))
}

// lineAt returns the user's line of offset off of the split text.
func (m lineMap) lineAt(off int) int {
	return strings.Count(m.src[:m.original(off)], "\n") + 1
}
