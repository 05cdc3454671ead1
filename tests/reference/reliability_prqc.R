# Reference values for tests/test_reliability.py: PRQC component reliabilities of both partners
# in the shared dySEM couples data (118 couples; Fletcher, Simpson & Thomas, 2000, six components
# of three items each), from psych::alpha (raw and standardized alpha, Feldt CI) and psych::omega
# is not used (three items: omega equals the one-factor omega total).
#   cd tests/reference && R CMD BATCH --no-save --no-restore reliability_prqc.R
suppressMessages(library(psych))
shared <- normalizePath("../../../shared/data")
d <- read.csv(file.path(shared, "dysem_prqcQ", "data.csv"), check.names = FALSE)
components <- c("satisfaction", "commitment", "intimacy", "trust", "passion", "love")
rows <- list()
for (p in 1:2) for (k in seq_along(components)) {
  items <- paste0("prqc.", p, "_", (3 * k - 2):(3 * k))
  a <- psych::alpha(d[, items], warnings = FALSE)
  ft <- a$feldt
  rows[[length(rows) + 1]] <- data.frame(
    partner = p, component = components[k], items = paste(items, collapse = " "),
    n = nrow(na.omit(d[, items])), raw_alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha,
    average_r = a$total$average_r, feldt_low = ft$lower.ci$raw_alpha, feldt_high = ft$upper.ci$raw_alpha,
    r_drop_1 = a$item.stats$r.drop[1], alpha_drop_1 = a$alpha.drop$raw_alpha[1])
}
out <- do.call(rbind, rows)
print(out, digits = 10)
write.csv(out, "reliability_prqc.csv", row.names = FALSE)
