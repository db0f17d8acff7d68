// Package jobspec reads job files written in HCL2 or JSON into a
// structs.Job, and provides the strict JSON decoder that the HTTP API uses
// for every request body.
//
// Both formats are decoded from the same Go types in package structs: an
// HCL argument is named like the field's JSON key, a field tagged
// `hcl:"name,block"` is written as repeated `name { ... }` blocks (JSON: a
// list under the plural key), a field tagged `hcl:",label"` takes the block
// label (JSON: "id" or "name"), and fields tagged `hcl:"-"` are owned by the
// servers and cannot be written in HCL.
//
// HCL files follow HCL2 with one relaxation, because the appmesh docs use it:
// a block written on one line may hold several arguments and nested blocks,
// as in `constraint { attribute = "${meta.rack}"  operator = "glob"  value = "r[12]" }`
// (see hcl_oneline.go).
//
// An HCL file may declare `variable` and `locals` blocks and call the
// functions of hcl_funcs.go; they are evaluated in a first pass
// (hcl_scope.go) and used anywhere in the job, values coming from
// ParseOptions (the CLI's -var, -var-file and APPMESH_VAR_*). In strings, a
// `${...}` using only var, local and functions is evaluated while parsing;
// any other, such as `"${meta.rack}"`, is kept literally and interpolated
// on the client or by the scheduler at run time. JSON keeps every `${...}`
// literally and has no variables.
//
// Parse neither canonicalizes nor validates the job: callers run
// job.Canonicalize() and job.Validate() so that the same checks run on the
// CLI and on the servers. The only default applied here is a task group's
// count of 1 when `count` is absent, which the JSON decoding of
// structs.TaskGroup applies too.
package jobspec
