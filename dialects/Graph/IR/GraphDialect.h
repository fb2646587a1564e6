//===- GraphDialect.h - Kiln graph dialect ----------------------*- C++ -*-===//
//
// Declares the graph dialect, home of the model glue ops.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_GRAPH_IR_GRAPHDIALECT_H
#define KILN_DIALECTS_GRAPH_IR_GRAPHDIALECT_H

#include "mlir/IR/Dialect.h"

#include "dialects/Graph/IR/GraphDialect.h.inc"
#include "mlir/IR/Attributes.h"
#include "mlir/IR/DialectImplementation.h"
#include "dialects/Graph/IR/GraphEnums.h.inc"
#define GET_ATTRDEF_CLASSES
#include "dialects/Graph/IR/GraphAttrs.h.inc"

#endif // KILN_DIALECTS_GRAPH_IR_GRAPHDIALECT_H
