//===- InitAll.cpp - Register Kiln's dialects and passes ------------------===//
//
// Implements include/kiln/InitAllDialects.h and InitAllPasses.h. Kiln loads
// every upstream dialect and pass as well, so that kiln-opt can run any stage
// of the pipelines on its own, as mlir-opt does.
//
//===----------------------------------------------------------------------===//

#include "kiln/InitAllDialects.h"
#include "kiln/InitAllPasses.h"

#include "dialects/Attn/IR/AttnDialect.h"
#include "dialects/FFN/IR/FFNDialect.h"
#include "dialects/Graph/IR/GraphDialect.h"
#include "dialects/Scan/IR/ScanDialect.h"
#include "dialects/Warp/IR/WarpDialect.h"
#include "passes/Conversion/Passes.h"
#include "passes/Conversion/ToGPU/Passes.h"
#include "passes/Fusion/Passes.h"
#include "passes/Pipelines/Pipelines.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

void kiln::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<graph::GraphDialect, attn::AttnDialect, scan::ScanDialect,
                  ffn::FFNDialect, warp::WarpDialect>();
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
}

void kiln::registerAllPasses() {
  mlir::registerAllPasses();
  registerConversionPasses();
  registerGPUPasses();
  registerFusionPasses();
  registerPipelines();
}
