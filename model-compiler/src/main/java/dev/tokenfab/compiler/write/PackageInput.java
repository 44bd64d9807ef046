package dev.tokenfab.compiler.write;

import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.plan.DataflowPlan;
import dev.tokenfab.compiler.quant.QuantizedModel;
import java.util.Map;

/**
 * Everything a package is written from.
 *
 * @param model     packed tensors, config and generation settings (tokenizer path included)
 * @param plan      placement (exact byte layout of the bank files) and modeled estimates
 * @param quant     weight and KV precision recorded in the manifest
 * @param producer  tool and version
 * @param reports   file name under {@code reports/} → content: a String is written as text, anything
 *                  else as pretty JSON
 */
public record PackageInput(QuantizedModel model, DataflowPlan plan, Manifest.Quantization quant, String producer,
                           Map<String, Object> reports) {}
