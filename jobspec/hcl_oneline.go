package jobspec

import (
	"sort"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// The appmesh docs write short blocks on one line, with several arguments
// and even nested blocks:
//
//	constraint { attribute = "${meta.rack}"  operator = "glob"  value = "r[12]" }
//	job "j" { group "g" { task "t" { driver = "exec" } } }
//
// Plain HCL2 allows only one argument in a one-line block. Rather than
// fork the parser, splitOneLineBlocks finds, from the lexer's tokens, the
// places where HCL2 needs a line break (after a block's "{", between
// arguments, around a block's "}") and inserts one there. A file that is
// already valid multi-line HCL2 is returned unchanged. Positions in the
// result are mapped back to the user's file by lineMap.

// splitOneLineBlocks returns src with the missing newlines inserted, and the
// offsets in src where they were inserted (ascending).
func splitOneLineBlocks(src []byte, filename string) ([]byte, []int) {
	tokens, diags := hclsyntax.LexConfig(src, filename, hcl.Pos{Line: 1, Column: 1})
	if diags.HasErrors() {
		return src, nil // the parser reports lexical errors itself
	}
	s := &lineSplitter{at: map[int]bool{}}
	for _, t := range tokens {
		switch {
		case t.Type == hclsyntax.TokenComment && len(t.Bytes) > 0 && t.Bytes[len(t.Bytes)-1] == '\n':
			// A line comment ends its line, as the parser sees it.
			s.toks = append(s.toks, hclsyntax.Token{Type: hclsyntax.TokenNewline, Range: t.Range})
		case t.Type == hclsyntax.TokenComment:
			// A /* block */ comment is skipped.
		default:
			s.toks = append(s.toks, t)
		}
	}
	s.body(0, true)
	if len(s.at) == 0 {
		return src, nil
	}
	offsets := make([]int, 0, len(s.at))
	for off := range s.at {
		offsets = append(offsets, off)
	}
	sort.Ints(offsets)
	out := make([]byte, 0, len(src)+len(offsets))
	prev := 0
	for _, off := range offsets {
		out = append(out, src[prev:off]...)
		out = append(out, '\n')
		prev = off
	}
	return append(out, src[prev:]...), offsets
}

type lineSplitter struct {
	toks []hclsyntax.Token
	at   map[int]bool // byte offsets in src that need a newline
}

func (s *lineSplitter) typ(i int) hclsyntax.TokenType {
	if i < 0 || i >= len(s.toks) {
		return hclsyntax.TokenEOF
	}
	return s.toks[i].Type
}

// body walks the items of a body starting at token i and returns the index
// after its closing brace (or of EOF).
func (s *lineSplitter) body(i int, top bool) int {
	for i < len(s.toks) {
		switch s.typ(i) {
		case hclsyntax.TokenEOF:
			return i
		case hclsyntax.TokenCBrace:
			if top {
				i++ // a stray brace; the parser will report it
				continue
			}
			if prev := s.typ(i - 1); prev != hclsyntax.TokenNewline && prev != hclsyntax.TokenOBrace {
				s.at[s.toks[i].Range.Start.Byte] = true
			}
			return i + 1
		case hclsyntax.TokenIdent:
			i = s.item(i)
		default:
			i++ // newlines, or something the parser will report
		}
	}
	return i
}

// item walks one argument or block starting at the identifier at token i.
func (s *lineSplitter) item(i int) int {
	j := i + 1
	if s.typ(j) == hclsyntax.TokenEqual {
		j = s.expression(j + 1)
		if s.typ(j) == hclsyntax.TokenIdent {
			// Another item follows on the same line.
			s.at[s.toks[j].Range.Start.Byte] = true
		}
		return j
	}
	for { // block labels: words or quoted strings
		switch s.typ(j) {
		case hclsyntax.TokenIdent:
			j++
			continue
		case hclsyntax.TokenOQuote:
			for j++; s.typ(j) != hclsyntax.TokenCQuote && s.typ(j) != hclsyntax.TokenNewline && s.typ(j) != hclsyntax.TokenEOF; j++ {
			}
			if s.typ(j) == hclsyntax.TokenCQuote {
				j++
			}
			continue
		}
		break
	}
	if s.typ(j) != hclsyntax.TokenOBrace {
		return j // not a block; the parser will report it
	}
	switch s.typ(j + 1) {
	case hclsyntax.TokenNewline, hclsyntax.TokenEOF, hclsyntax.TokenCBrace:
	default:
		s.at[s.toks[j].Range.End.Byte] = true
	}
	j = s.body(j+1, false)
	if s.typ(j-1) == hclsyntax.TokenCBrace {
		switch s.typ(j) {
		case hclsyntax.TokenNewline, hclsyntax.TokenEOF:
		default:
			s.at[s.toks[j-1].Range.End.Byte] = true
		}
	}
	return j
}

// expression skips an argument's value and returns the index of the token
// that ends it: a newline, the enclosing block's "}", EOF, or the name of
// the next item when one follows on the same line (a word right after a
// complete value cannot continue an HCL expression).
func (s *lineSplitter) expression(j int) int {
	depth := 0
	valueEnded := false
	for ; j < len(s.toks); j++ {
		t := s.typ(j)
		if depth == 0 {
			switch {
			case t == hclsyntax.TokenNewline || t == hclsyntax.TokenEOF || t == hclsyntax.TokenCBrace:
				return j
			case t == hclsyntax.TokenIdent && valueEnded:
				return j
			}
		}
		switch t {
		case hclsyntax.TokenOBrace, hclsyntax.TokenOBrack, hclsyntax.TokenOParen, hclsyntax.TokenOQuote,
			hclsyntax.TokenOHeredoc, hclsyntax.TokenTemplateInterp, hclsyntax.TokenTemplateControl:
			depth++
		case hclsyntax.TokenCBrace, hclsyntax.TokenCBrack, hclsyntax.TokenCParen, hclsyntax.TokenCQuote,
			hclsyntax.TokenCHeredoc, hclsyntax.TokenTemplateSeqEnd:
			if depth == 0 {
				return j // unbalanced; the parser will report it
			}
			depth--
		}
		valueEnded = depth == 0 && endsValue(t)
	}
	return j
}

func endsValue(t hclsyntax.TokenType) bool {
	switch t {
	case hclsyntax.TokenNumberLit, hclsyntax.TokenIdent, hclsyntax.TokenCQuote, hclsyntax.TokenCHeredoc,
		hclsyntax.TokenCBrack, hclsyntax.TokenCParen, hclsyntax.TokenCBrace:
		return true
	}
	return false
}

// lineMap maps positions in the text with inserted newlines back to the
// user's file.
type lineMap struct {
	src        []byte // the user's file
	inserted   []int  // offsets in src where one newline was inserted, ascending
	lineStarts []int  // offsets in src where each line starts
}

func newLineMap(src []byte, inserted []int) *lineMap {
	m := &lineMap{src: src, inserted: inserted, lineStarts: []int{0}}
	for i, b := range src {
		if b == '\n' {
			m.lineStarts = append(m.lineStarts, i+1)
		}
	}
	return m
}

// pos maps a position in the modified text to the user's file. Insertion k
// sits at offset inserted[k]+k in the modified text.
func (m *lineMap) pos(p hcl.Pos) hcl.Pos {
	if m == nil {
		return p
	}
	before := sort.Search(len(m.inserted), func(k int) bool { return m.inserted[k]+k >= p.Byte })
	b := max(0, min(p.Byte-before, len(m.src)))
	line := sort.Search(len(m.lineStarts), func(l int) bool { return m.lineStarts[l] > b })
	start := m.lineStarts[line-1]
	return hcl.Pos{Line: line, Column: utf8.RuneCount(m.src[start:b]) + 1, Byte: b}
}

func (m *lineMap) rng(r *hcl.Range) *hcl.Range {
	if m == nil || r == nil {
		return r
	}
	return &hcl.Range{Filename: r.Filename, Start: m.pos(r.Start), End: m.pos(r.End)}
}

// remap rewrites the positions of diagnostics in place.
func (m *lineMap) remap(diags hcl.Diagnostics) {
	if m == nil {
		return
	}
	for _, d := range diags {
		d.Subject = m.rng(d.Subject)
		d.Context = m.rng(d.Context)
	}
}
