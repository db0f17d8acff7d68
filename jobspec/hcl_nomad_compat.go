package jobspec

import (
	"fmt"
	"reflect"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Forms of Nomad's job specification that appmesh's own schema spells
// differently. They are read here, before the schema, so that a Nomad
// user's file runs unchanged while the structs keep one way to say each
// thing.

// nomadBlockForm handles a nested block written in a Nomad form; it
// reports whether it did.
func (d *hclDecoder) nomadBlockForm(blk *hclsyntax.Block, target reflect.Value, blockType string) bool {
	if blockType == "job" && blk.Type == "task" {
		// Nomad puts a task written directly in the job in a group of its
		// own, named after the task.
		job, ok := target.Addr().Interface().(*structs.Job)
		if !ok {
			return false
		}
		task := newBlockValue(reflect.TypeFor[structs.Task]())
		d.decodeBlock(blk, task.Elem())
		group := newBlockValue(reflect.TypeFor[structs.TaskGroup]()).Interface().(*structs.TaskGroup)
		t := task.Interface().(*structs.Task)
		group.Name = t.Name
		group.Tasks = []*structs.Task{t}
		job.Groups = append(job.Groups, group)
		return true
	}
	return false
}

// nomadAttributeForm handles an argument written in a Nomad form; it
// reports whether it did.
func (d *hclDecoder) nomadAttributeForm(attr *hclsyntax.Attribute, target reflect.Value, blockType string) bool {
	if blockType == "job" && attr.Name == "region" {
		// One cluster is one region: Nomad's default region names it.
		var region string
		if d.evalInto(attr, reflect.ValueOf(&region).Elem()) && region != "global" {
			d.diags = append(d.diags, errorAt(attr.SrcRange, "Unsupported argument",
				fmt.Sprintf("region %q: appmesh has one region per cluster; leave region out or set it to \"global\".", region)))
		}
		return true
	}
	if blockType != "periodic" {
		return false
	}
	p, ok := target.Addr().Interface().(*structs.PeriodicConfig)
	if !ok {
		return false
	}
	switch attr.Name {
	case "cron":
		// Nomad's single cron, kept beside crons for older files.
		var cron string
		if d.evalInto(attr, reflect.ValueOf(&cron).Elem()) && cron != "" {
			p.Crons = append(p.Crons, cron)
		}
		return true
	case "enabled":
		var enabled bool
		if d.evalInto(attr, reflect.ValueOf(&enabled).Elem()) && !enabled {
			d.diags = append(d.diags, errorAt(attr.SrcRange, "Unsupported argument",
				"A periodic block that is not enabled is not supported: remove enabled = false, and stop the job (appmesh job stop) to pause its launches."))
		}
		return true
	}
	return false
}

// evalInto evaluates an argument into v, reporting success.
func (d *hclDecoder) evalInto(attr *hclsyntax.Attribute, v reflect.Value) bool {
	val, diags := d.evalExpr(attr.Expr)
	d.diags = append(d.diags, diags...)
	if diags.HasErrors() || val == cty.NilVal {
		return false
	}
	return d.assign(v, attr.Name, val, attr.Expr.Range(), attr.SrcRange)
}
