// Package repocheck holds tests about the repository itself rather than
// the program: what git tracks. `make vet` runs them.
package repocheck
