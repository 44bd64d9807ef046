package dev.tokenfab.compiler.build;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one step returns to the driver.
 *
 * @param model        the model for the next step
 * @param report       written as {@code reports/<step>.json} (null: no report)
 * @param extraReports further files under {@code reports/} by name (a String is written as text)
 * @param verification the step's own check of its output (null: nothing to compare at this step)
 * @param millisByPart wall time of parts of the step (e.g. each graph pass), for {@code time_per_step.json}
 */
public record StepResult<O extends BuildModel>(O model, Object report, Map<String, Object> extraReports,
                                               Verification verification, Map<String, Long> millisByPart) {

    public StepResult {
        extraReports = extraReports == null ? Map.of() : new LinkedHashMap<>(extraReports);
        millisByPart = millisByPart == null ? Map.of() : new LinkedHashMap<>(millisByPart);
    }

    public static <O extends BuildModel> StepResult<O> of(O model, Object report) {
        return new StepResult<>(model, report, null, null, null);
    }

    public static <O extends BuildModel> StepResult<O> verified(O model, Object report, Verification v) {
        return new StepResult<>(model, report, null, v, null);
    }
}
