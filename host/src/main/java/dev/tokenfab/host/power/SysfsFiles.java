package dev.tokenfab.host.power;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reading one-number sysfs attributes with errors that name the file. */
final class SysfsFiles {
    private SysfsFiles() {}

    static long readLong(Path file) throws PowerException {
        String text = readString(file);
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new PowerException(PowerException.ErrorCode.BAD_DATA,
                    file + ": expected an integer, found '" + text + "'", e);
        }
    }

    static String readString(Path file) throws PowerException {
        try {
            return Files.readString(file).strip();
        } catch (AccessDeniedException e) {
            throw new PowerException(PowerException.ErrorCode.NO_PERMISSION, file + ": permission denied", e);
        } catch (NoSuchFileException e) {
            throw new PowerException(PowerException.ErrorCode.READ_FAILED, file + ": no such file", e);
        } catch (IOException e) {
            throw new PowerException(PowerException.ErrorCode.READ_FAILED, file + ": " + e.getMessage(), e);
        }
    }

    static String hostName() {
        try {
            String h = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
            if (!h.isEmpty()) return h;
        } catch (IOException | SecurityException ignored) {
            // fall through: the label is informative only
        }
        String env = System.getenv("HOSTNAME");
        return env == null || env.isBlank() ? "localhost" : env;
    }
}
