package dev.tokenfab.bench.result;

import java.util.List;

/**
 * A system under test as the report describes it.
 *
 * @param name              short name used in charts ("ort-cpu", "tokenfab-emu-u280")
 * @param description       engine, device and model, one line
 * @param available         whether it ran
 * @param unavailableReason why not, empty when it ran
 * @param powerSources      the provenance label of every power figure source it used
 * @param headlineNote      how to read its headline figures (e.g. "card figures are modeled; host emulation time shown separately")
 */
public record SystemInfo(String name, String description, boolean available, String unavailableReason,
                         List<String> powerSources, String headlineNote) {}
