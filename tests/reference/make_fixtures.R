# Reference values for tests/test_scales.py and tests/test_describe.py, computed with psych.
#
# Input : tests/data/scoring_sample.csv (60 simulated respondents; made by
#         tests/reference/make_scoring_sample.py, missing cells kept as empty fields)
# Output: tests/reference/scoring_ecr_s_psych.csv  ECR-S anxiety / avoidance person means
#         tests/reference/scoring_sums_psych.csv    CSI-16 and SWLS totals (complete rows)
#         tests/reference/describe_psych.csv        psych::describe(type = 3)
#
# Run from the project root (R is only needed to remake the fixtures; tests never call R):
#   Rscript tests/reference/make_fixtures.R > tests/reference/make_fixtures.Rout 2>&1

suppressPackageStartupMessages(library(psych))
cat(R.version.string, "\n")
cat("psych", as.character(packageVersion("psych")), "\n\n")

out_dir <- file.path("tests", "reference")
sample_file <- file.path("tests", "data", "scoring_sample.csv")
x <- read.csv(sample_file)
cat("scoring_sample.csv:", nrow(x), "rows,", ncol(x), "columns,",
    sum(is.na(x)), "missing cells; md5", unname(tools::md5sum(sample_file)), "\n\n")

# full precision in the written CSVs (R's default is 15 significant digits)
write_fixture <- function(df, name) {
  num <- vapply(df, is.double, logical(1))
  df[num] <- lapply(df[num], function(v) ifelse(is.na(v), NA, sprintf("%.17g", v)))
  write.csv(df, file.path(out_dir, name), row.names = FALSE, na = "", quote = FALSE)
  cat("wrote", file.path(out_dir, name), "\n")
}

# ---------------------------------------------------------------------------------------------
# 1. ECR-S (Wei et al., 2007): anxiety = even items (8 reversed), avoidance = odd items
#    (1, 5, 9 reversed). Responses 1-7, so reversal is min + max - x = 8 - x.
#    impute = "none", totals = FALSE: each score is the mean of the answered items.
# ---------------------------------------------------------------------------------------------
ecr_keys <- list(
  anxiety   = c("ecr_s_2", "ecr_s_4", "ecr_s_6", "-ecr_s_8", "ecr_s_10", "ecr_s_12"),
  avoidance = c("-ecr_s_1", "ecr_s_3", "-ecr_s_5", "ecr_s_7", "-ecr_s_9", "ecr_s_11")
)
ecr_items <- x[, paste0("ecr_s_", 1:12)]
ecr <- scoreItems(ecr_keys, ecr_items, totals = FALSE, impute = "none", min = 1, max = 7)
ecr_scores <- data.frame(person_id = x$person_id,
                         ecr_s_anxiety = ecr$scores[, "anxiety"],
                         ecr_s_avoidance = ecr$scores[, "avoidance"])
# check against an explicit computation of the same rule
rev8 <- function(v) 8 - v
anx_check <- rowMeans(cbind(x$ecr_s_2, x$ecr_s_4, x$ecr_s_6, rev8(x$ecr_s_8), x$ecr_s_10,
                            x$ecr_s_12), na.rm = TRUE)
avo_check <- rowMeans(cbind(rev8(x$ecr_s_1), x$ecr_s_3, rev8(x$ecr_s_5), x$ecr_s_7,
                            rev8(x$ecr_s_9), x$ecr_s_11), na.rm = TRUE)
stopifnot(isTRUE(all.equal(unname(ecr_scores$ecr_s_anxiety), anx_check, tolerance = 1e-14)),
          isTRUE(all.equal(unname(ecr_scores$ecr_s_avoidance), avo_check, tolerance = 1e-14)))
cat("ECR-S: rows with a missing anxiety item:",
    sum(rowSums(is.na(x[, paste0("ecr_s_", c(2, 4, 6, 8, 10, 12))])) > 0),
    "; rows with a missing avoidance item:",
    sum(rowSums(is.na(x[, paste0("ecr_s_", c(1, 3, 5, 7, 9, 11))])) > 0), "\n")
print(head(ecr_scores))
write_fixture(ecr_scores, "scoring_ecr_s_psych.csv")
cat("\n")

# ---------------------------------------------------------------------------------------------
# 2. Sum scores. CSI-16 (Funk & Rogge, 2007): sum of 16 items, item 1 scored 0-6, items 2-16
#    0-5, no reverse items (per src/analysis/data/instruments/csi_16.yaml), range 0-81.
#    SWLS (Diener et al., 1985): sum of 5 items 1-7, range 5-35.
#    psych::scoreItems(totals = TRUE, impute = "none") is used, and only rows that answered
#    every item of the scale are kept (NA otherwise): on incomplete rows psych's totals are
#    rowSums(na.rm = TRUE), the sum of the answered items, which is not a prorated total.
#    Each total is checked against rowSums() on the complete rows.
#    swls_mean_x5 = 5 * the SWLS mean of answered items (scoreItems totals = FALSE) for rows
#    with at least 4 of 5 items: the prorated (person-mean imputed) total for equal item ranges.
# ---------------------------------------------------------------------------------------------
csi_cols <- paste0("csi_16_", 1:16)
swls_cols <- paste0("swls_", 1:5)
csi <- scoreItems(list(total = csi_cols), x[, csi_cols], totals = TRUE, impute = "none",
                  min = 0, max = 6)
swls <- scoreItems(list(total = swls_cols), x[, swls_cols], totals = TRUE, impute = "none",
                   min = 1, max = 7)
swls_mean <- scoreItems(list(total = swls_cols), x[, swls_cols], totals = FALSE, impute = "none",
                        min = 1, max = 7)
csi_complete <- complete.cases(x[, csi_cols])
swls_complete <- complete.cases(x[, swls_cols])
csi_total <- ifelse(csi_complete, csi$scores[, "total"], NA)
swls_total <- ifelse(swls_complete, swls$scores[, "total"], NA)
stopifnot(all(csi_total[csi_complete] == rowSums(x[csi_complete, csi_cols])),
          all(swls_total[swls_complete] == rowSums(x[swls_complete, swls_cols])))
swls_n <- rowSums(!is.na(x[, swls_cols]))
sums <- data.frame(person_id = x$person_id,
                   csi_16_total = as.numeric(csi_total),
                   swls_total = as.numeric(swls_total),
                   swls_mean_x5 = ifelse(swls_n >= 4, 5 * swls_mean$scores[, "total"], NA))
cat("CSI-16 complete rows:", sum(csi_complete), "of", nrow(x),
    "; SWLS complete rows:", sum(swls_complete), "of", nrow(x), "\n")
cat("CSI-16 total range on complete rows:", range(csi_total, na.rm = TRUE), "\n")
cat("SWLS total range on complete rows:", range(swls_total, na.rm = TRUE), "\n")
print(head(sums))
write_fixture(sums, "scoring_sums_psych.csv")
cat("\n")

# ---------------------------------------------------------------------------------------------
# 3. psych::describe(type = 3) of the psych scores above and of one raw item with missing
#    values (ecr_s_1). Missing values are dropped per variable (na.rm = TRUE, the default).
# ---------------------------------------------------------------------------------------------
desc_input <- data.frame(ecr_s_anxiety = ecr_scores$ecr_s_anxiety,
                         ecr_s_avoidance = ecr_scores$ecr_s_avoidance,
                         swls_total = sums$swls_total,
                         ecr_s_1 = x$ecr_s_1)
d <- describe(desc_input, type = 3)
print(d, digits = 6)
desc <- data.frame(variable = rownames(d), n = d$n, mean = d$mean, sd = d$sd,
                   median = d$median, min = d$min, max = d$max, skew = d$skew,
                   kurtosis = d$kurtosis, se = d$se)
write_fixture(desc, "describe_psych.csv")
cat("\n")
sessionInfo()
