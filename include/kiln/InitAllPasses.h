//===- InitAllPasses.h - Register every Kiln pass and pipeline --*- C++ -*-===//
//
// Registers Kiln's passes and named pipelines with the global pass registry
// so that kiln-opt exposes them as `--kiln-*` flags.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_INITALLPASSES_H
#define KILN_INITALLPASSES_H

namespace kiln {

/// Registers Kiln's passes, the upstream passes its pipelines use, and the
/// `kiln-cpu-pipeline` pass pipeline.
void registerAllPasses();

} // namespace kiln

#endif // KILN_INITALLPASSES_H
