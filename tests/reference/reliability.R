# Reference values for tests/test_reliability.py, computed with psych::alpha.
#
# Input : tests/data/bfi.csv (psych::bfi, 2,800 respondents; see tests/data/README.md)
#         ../shared/data/openpsychometrics_ecr/data.csv (ECR, 51,491 respondents; see its SOURCE.md)
# Output: tests/reference/reliability_total.csv  one row per fixture: alpha(..)$total, the
#                                                  Feldt interval (alpha(..)$feldt, alpha.ci) at
#                                                  95% and 90%, the same with the F quantile
#                                                  from pf() inverted (feldt*_pf_*, see below),
#                                                  n, n_items, psych's bootstrap CI (seeded)
#         tests/reference/reliability_items.csv  one row per fixture and item: alpha(..)$item.stats
#                                                  and alpha(..)$alpha.drop
#
# Fixtures (every scale keyed before the call; psych::alpha defaults otherwise, use = "pairwise"):
#   bfi_agree          A1-A5, A1 reversed (7 - A1): psych's bfi.keys; pairwise
#   bfi_agree_listwise the same on complete cases (x[complete.cases(x), ])
#   bfi_consc          C1-C5, C4 and C5 reversed (7 - x); pairwise
#   ecr_avoidance      ECR Q1, Q3, ..., Q35, 0 = missing, Q3 Q15 Q19 Q25 Q27 Q29 Q31 Q33 Q35
#                      reversed (6 - x); pairwise
# Rows that answered none of the items are dropped before the call (61 rows in the ECR, none in
# bfi): psych counts them in nrow(x), the n of its Feldt interval and ase, although they add
# nothing to any covariance; analysis.reliability counts respondents who answered an item.
# psych's own result on the full ECR frame is printed below for comparison.
#
# Run from the project root (R is only needed to remake the fixtures; tests never call R):
#   Rscript tests/reference/reliability.R > tests/reference/reliability.Rout 2>&1

suppressPackageStartupMessages(library(psych))
options(mc.cores = 1)  # psych's bootstrap runs in mclapply: one core keeps set.seed() in charge
cat(R.version.string, "\n")
cat("psych", as.character(packageVersion("psych")), "\n\n")

out_dir <- file.path("tests", "reference")
bfi_file <- file.path("tests", "data", "bfi.csv")
ecr_file <- file.path("..", "shared", "data", "openpsychometrics_ecr", "data.csv")

# full precision in the written CSVs (R's default is 15 significant digits)
write_fixture <- function(df, name) {
  num <- vapply(df, is.double, logical(1))
  df[num] <- lapply(df[num], function(v) ifelse(is.na(v), NA, sprintf("%.17g", v)))
  write.csv(df, file.path(out_dir, name), row.names = FALSE, na = "", quote = FALSE)
  cat("wrote", file.path(out_dir, name), "\n")
}

bfi <- read.csv(bfi_file)
cat("bfi.csv:", nrow(bfi), "rows; md5", unname(tools::md5sum(bfi_file)), "\n")
ecr_raw <- read.csv(ecr_file)
cat("ECR data.csv:", nrow(ecr_raw), "rows; md5", unname(tools::md5sum(ecr_file)), "\n\n")

agree <- bfi[, paste0("A", 1:5)]
agree$A1 <- 7 - agree$A1
consc <- bfi[, paste0("C", 1:5)]
consc$C4 <- 7 - consc$C4
consc$C5 <- 7 - consc$C5
ecr <- ecr_raw[, paste0("Q", seq(1, 35, by = 2))]
ecr[ecr == 0] <- NA
for (q in paste0("Q", c(3, 15, 19, 25, 27, 29, 31, 33, 35))) ecr[[q]] <- 6 - ecr[[q]]

fixtures <- list(
  bfi_agree = agree,
  bfi_agree_listwise = agree[complete.cases(agree), ],
  bfi_consc = consc,
  ecr_avoidance = ecr
)

# Feldt bounds with the F quantile found by inverting pf() (uniroot, tol 1e-15). For the ECR's
# df (51429, 874293), R 4.2.2's qf() is off: pf(qf(0.025, df1, df2), df1, df2) is 0.02837, not
# 0.025, so psych's alpha.ci bounds are off by about 2e-5 there (printed below); for the bfi
# fixtures both ways agree to 1e-15.
qf_pf <- function(p, df1, df2) {
  uniroot(function(q) pf(q, df1, df2) - p, c(0.01, 100), tol = 1e-15)$root
}
feldt_pf <- function(alpha, n, k, p.val) {
  df1 <- n - 1
  df2 <- (n - 1) * (k - 1)
  c(low = 1 - (1 - alpha) * qf_pf(1 - p.val / 2, df1, df2),
    high = 1 - (1 - alpha) * qf_pf(p.val / 2, df1, df2))
}

totals <- list()
items <- list()
for (name in names(fixtures)) {
  x <- fixtures[[name]]
  empty <- rowSums(!is.na(x)) == 0
  cat("=====", name, ":", nrow(x), "rows,", sum(empty), "answered no item,",
      sum(complete.cases(x)), "complete\n")
  x <- x[!empty, ]
  set.seed(20240611)
  n_iter <- if (name == "ecr_avoidance") 1 else 1000  # psych's random bootstrap (not for the ECR)
  a <- alpha(x, n.iter = n_iter)
  print(a, digits = 6)
  f90 <- alpha.ci(a$total$raw_alpha, nrow(x), ncol(x), p.val = 0.10)
  tot <- a$total
  exact95 <- feldt_pf(tot$raw_alpha, nrow(x), ncol(x), 0.05)
  exact90 <- feldt_pf(tot$raw_alpha, nrow(x), ncol(x), 0.10)
  df1 <- nrow(x) - 1
  cat("pf(qf(c(0.025, 0.975), ", df1, ", ", df1 * (ncol(x) - 1), ")) = ",
      paste(format(pf(qf(c(0.025, 0.975), df1, df1 * (ncol(x) - 1)), df1, df1 * (ncol(x) - 1)),
                   digits = 10), collapse = " "), "\n", sep = "")
  cat("Feldt 95% with pf() inverted:", format(exact95, digits = 10), "\n")
  totals[[name]] <- data.frame(
    fixture = name, n = nrow(x), n_items = ncol(x),
    raw_alpha = tot$raw_alpha, std_alpha = tot$std.alpha, g6_smc = tot[["G6(smc)"]],
    average_r = tot$average_r, s_n = tot[["S/N"]], ase = tot$ase, mean = tot$mean, sd = tot$sd,
    median_r = tot$median_r,
    feldt_low = unlist(a$feldt$lower.ci), feldt_high = unlist(a$feldt$upper.ci),
    feldt90_low = unlist(f90$lower.ci), feldt90_high = unlist(f90$upper.ci),
    feldt_pf_low = exact95[["low"]], feldt_pf_high = exact95[["high"]],
    feldt90_pf_low = exact90[["low"]], feldt90_pf_high = exact90[["high"]],
    boot_low = if (is.null(a$boot.ci)) NA_real_ else unname(a$boot.ci[1]),
    boot_high = if (is.null(a$boot.ci)) NA_real_ else unname(a$boot.ci[3])
  )
  st <- a$item.stats
  dr <- a$alpha.drop
  items[[name]] <- data.frame(
    fixture = name, item = rownames(st), n = as.numeric(st$n), raw_r = st$raw.r,
    std_r = st$std.r, r_cor = st$r.cor, r_drop = st$r.drop, mean = st$mean, sd = st$sd,
    raw_alpha_drop = dr$raw_alpha, std_alpha_drop = dr$std.alpha, g6_smc_drop = dr[["G6(smc)"]],
    average_r_drop = dr$average_r, median_r_drop = dr$med.r
  )
  cat("\n")
}

cat("===== ecr_avoidance on all", nrow(ecr), "rows (psych's n for the Feldt interval):\n")
full <- alpha(ecr)
print(full$total, digits = 8)
print(full$feldt, digits = 8)
cat("listwise (complete cases,", sum(complete.cases(ecr)), "rows) raw alpha:",
    format(alpha(ecr[complete.cases(ecr), ])$total$raw_alpha, digits = 8),
    "(SOURCE.md: .933)\n\n")

write_fixture(do.call(rbind, totals), "reliability_total.csv")
write_fixture(do.call(rbind, items), "reliability_items.csv")
cat("\n")
sessionInfo()
