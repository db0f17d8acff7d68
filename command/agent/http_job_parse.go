package agent

import (
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/appmesh/appmesh/jobspec"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/hcl/v2"
)

// jobParseRequest is the body of POST /v1/jobs/parse: a job file's text,
// as `appmesh job run FILE` would read it.
type jobParseRequest struct {
	// Source is the job file's text: HCL, or JSON ({"job": {...}} or a
	// bare job object).
	Source string `json:"source"`
	// Format is "hcl", "json" or "" (JSON when the text starts with '{').
	Format string `json:"format,omitempty"`
	// Variables are values for the file's variable blocks, as -var gives
	// them (name → value in HCL syntax for lists and maps).
	Variables map[string]string `json:"variables,omitempty"`
}

// jobParseResponse is the parsed job in the form PUT /v1/jobs takes.
type jobParseResponse struct {
	Job *structs.Job `json:"job"`
}

// parseProblem is one problem of a job text, with its place when the
// parser knows it (lines and columns count from 1).
type parseProblem struct {
	Message   string `json:"message"`
	Line      int    `json:"line,omitempty"`
	Column    int    `json:"column,omitempty"`
	EndLine   int    `json:"end_line,omitempty"`
	EndColumn int    `json:"end_column,omitempty"`
}

// jobParseError is the 400 answer for a text that is not a valid job:
// "error" as every other error, plus each problem with its place, so that
// an editor can point at the line.
type jobParseError struct {
	Error    string         `json:"error"`
	Problems []parseProblem `json:"problems"`
}

// parseSourceName names the text in messages ("job:3,5-9: ...").
const parseSourceName = "job"

// POST|PUT /v1/jobs/parse?namespace=NS parses a job text without touching
// any state. The door asks for submit-job in ?namespace= (parsing is the
// first step of submitting); a job that names another namespace needs
// submit-job there too, checked here once the text is parsed. The job is
// canonicalized and validated, so the answer is exactly what a plan or a
// registration would accept.
func (s *HTTPServer) jobParse(w http.ResponseWriter, r *http.Request) (any, error) {
	var args jobParseRequest
	if err := decodeBody(w, r, &args); err != nil {
		return nil, err
	}
	if strings.TrimSpace(args.Source) == "" {
		return nil, badRequest(`"source" is empty: send the job file's text, as in {"source": "job \"web\" { ... }"}`)
	}
	// No BaseDir: file() and fileexists() are refused, so a job text
	// cannot read the agent's files.
	job, err := jobspec.ParseWithOptions(parseSourceName, []byte(args.Source), args.Format,
		jobspec.ParseOptions{Vars: args.Variables})
	if err == nil && job == nil {
		err = &structs.ValidationError{Problems: []string{parseSourceName + `: no job block found: the file must hold job "<id>" { ... }`}}
	}
	if err == nil {
		if job.Namespace == "" {
			job.Namespace = r.URL.Query().Get("namespace")
		}
		job.Canonicalize()
		err = job.Validate()
	}
	if err != nil {
		if !structs.IsValidation(err) {
			return nil, err
		}
		writeJSON(w, http.StatusBadRequest, jobParseError{Error: err.Error(), Problems: parseProblems(err)})
		return nil, nil
	}
	if job.Namespace != namespaceOrDefault(r.URL.Query().Get("namespace")) {
		rule := accessRule{kind: structs.AuthorizeNamespace, capability: capSubmitJob}
		if _, err := s.authorizeIn(r, rule, job.Namespace); err != nil {
			return nil, err
		}
	}
	return &jobParseResponse{Job: job}, nil
}

func namespaceOrDefault(ns string) string {
	if ns == "" {
		return structs.DefaultNamespace
	}
	return ns
}

// authorizeIn checks a namespace rule for another namespace than the
// request's ?namespace=.
func (s *HTTPServer) authorizeIn(r *http.Request, rule accessRule, namespace string) (*structs.ACLAuthorizeResponse, error) {
	args := &structs.ACLAuthorizeRequest{Kind: rule.kind, Capability: rule.capability, Access: rule.access}
	args.Namespace = namespace
	args.AuthToken = authToken(r)
	var reply structs.ACLAuthorizeResponse
	if err := s.rpc(r, structs.ACLAuthorizeRPC, args, &reply); err != nil {
		return nil, err
	}
	return &reply, nil
}

// jsonProblemPlace matches the "job:12:5: " prefix the strict JSON decoder
// puts in front of a problem.
var jsonProblemPlace = regexp.MustCompile(`^` + parseSourceName + `:(\d+):(\d+): `)

// parseProblems lists an error's problems with their places: HCL
// diagnostics carry ranges, JSON problems a line:column prefix, and
// validation problems (after parsing) none.
func parseProblems(err error) []parseProblem {
	var de *jobspec.DiagnosticsError
	if errors.As(err, &de) {
		var out []parseProblem
		for _, d := range de.Diagnostics {
			if d.Severity != hcl.DiagError {
				continue
			}
			p := parseProblem{Message: strings.TrimSuffix(d.Summary+"; "+d.Detail, "; ")}
			if d.Subject != nil {
				p.Line, p.Column = d.Subject.Start.Line, d.Subject.Start.Column
				p.EndLine, p.EndColumn = d.Subject.End.Line, d.Subject.End.Column
			}
			out = append(out, p)
		}
		return out
	}
	var ve *structs.ValidationError
	if !errors.As(err, &ve) {
		return []parseProblem{{Message: err.Error()}}
	}
	out := make([]parseProblem, 0, len(ve.Problems))
	for _, msg := range ve.Problems {
		p := parseProblem{Message: msg}
		if m := jsonProblemPlace.FindStringSubmatch(msg); m != nil {
			p.Line, _ = strconv.Atoi(m[1])
			p.Column, _ = strconv.Atoi(m[2])
			p.Message = msg[len(m[0]):]
		}
		out = append(out, p)
	}
	return out
}
