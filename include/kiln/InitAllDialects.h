//===- InitAllDialects.h - Register every dialect Kiln uses -----*- C++ -*-===//
//
// One place that lists the dialects kiln-opt and kiln-compile load: Kiln's
// own and the upstream ones its pipelines lower through.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_INITALLDIALECTS_H
#define KILN_INITALLDIALECTS_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace kiln {

/// Adds Kiln's dialects, the upstream dialects of its pipelines and their
/// external interface models (bufferization, LLVM translation) to `registry`.
void registerAllDialects(mlir::DialectRegistry &registry);

} // namespace kiln

#endif // KILN_INITALLDIALECTS_H
