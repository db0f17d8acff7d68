// Package structs holds the types shared by every part of appmesh: the job
// specification, nodes, allocations, evaluations, plans and the RPC
// request/response envelopes. One file per topic.
//
// JSON keys are snake_case and match the HCL job specification. The `hcl`
// struct tag tells the job-spec decoder how a field appears in HCL:
// `hcl:"group,block"` means the field is filled from repeated `group` blocks,
// `hcl:",label"` means the field takes the block's label and `hcl:"-"` means
// the field is set by the servers and cannot be written in HCL.
//
// This package imports only the standard library and tiny helpers.
package structs
