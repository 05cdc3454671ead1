# Reference values for tests/test_survey_replicates.py: replicate-weight designs (R's svrepdesign) with
# svymean, svytotal, svyby, svyglm (gaussian, quasibinomial), svyolr and svychisq, each type of
# replicate weights: JK1, JKn, BRR, Fay, bootstrap (and the scale rules of successive-difference,
# JK2 and other), with mse = FALSE and TRUE.
#
# Input : the survey package's own `api` data (as tests/reference/survey.R).
# Step 1: replicate weights made by as.svrepdesign() from two linearisation designs and exported
#         (combined weights: weights(design, "analysis"), i.e. sampling weight x replicate factor):
#   ../data/api_rep_clus1.csv   apiclus1 (183 schools in 15 districts), columns used by the tests and
#                               jk1_1..jk1_15  as.svrepdesign(svydesign(id = ~dnum, weights = ~pw,
#                                              fpc = ~fpc), type = "JK1")
#                               boot_1..boot_50 the same design, type = "bootstrap", replicates = 50,
#                                              set.seed(17)
#   ../data/api_rep_pairs.csv   apistrat (200 schools) with a constructed design of two PSUs per stratum
#                               (BRR needs it): within each school type the schools in snum order are cut
#                               into 8 (E) or 4 (H, M) equal groups of consecutive schools (pair_psu, e.g.
#                               "E3"), groups 1-2, 3-4, ... forming a stratum (pair_st, e.g. "E2"); an
#                               artificial fpc, pair_fpc = ceiling(fpc / 10) PSUs in the stratum's
#                               population. svydesign(id = ~pair_psu, strata = ~pair_st, weights = ~pw,
#                               fpc = ~pair_fpc), then
#                               jkn_1..jkn_16  type = "JKn" (rscales (n_h - 1) / n_h x (1 - n_h / N_h))
#                               brr_1..brr_12  type = "BRR" (fpc dropped, as as.svrepdesign does)
#                               fay_1..fay_12  type = "Fay", fay.rho = 0.3
# Step 2: the reference designs are built from the CSV files as a user would, with svrepdesign(data,
#         repweights = the columns, weights = ~pw, type, scale, rscales, rho, mse, combined.weights =
#         TRUE), so that R and Python read the same numbers. The .Rout shows that they agree with the
#         as.svrepdesign objects (to the 15 digits of the CSV).
# Output (tests/reference):
#   survey_rep_designs.csv    design, data (clus1, pairs), prefix (replicate columns prefix_1..),
#                             type, scale (as passed, "" = R's default), rho, mse, n_replicates,
#                             scale_used (R's design$scale), degf (R's degf: rank of the
#                             replicate weights - 1)
#   survey_rep_rscales.csv    design, replicate (1..R), rscale (as passed; R's design$rscales)
#   survey_rep_estimates.csv  design, statistic (mean, total, mean_srswr, total_srswr; and on clus1_jk1
#                             mean_first_district: svyby over dnum == the first row's district, a
#                             domain that one replicate has no row of), variable, group (svyby group,
#                             "" for the whole sample), level, estimate, se, deff, ci_low, ci_high
#                             (confint)
#   survey_rep_glm.csv        design, model, term, estimate, se, statistic, df, p_value, ci_low,
#                             ci_high, deff (svyglm; glm.control(epsilon = 1e-15), which
#                             svyglm.svyrep.design also uses for the replicate fits; deff: svyglm on a
#                             replicate design has none, so it is computed as svyglm(deff = TRUE) does
#                             for a linearisation design: var / diag(summary(glm(weights = pw /
#                             mean(pw)))$cov.scaled))
#   survey_rep_olr.csv        design, term, estimate, se, se_svyolr (summary(svyolr)'s SE: its replicate
#                             fits run polr at optim's default tolerance, so they are exact only to
#                             ~1e-4), statistic. estimate and se: svyolr's own computation with every
#                             polr fit (the full sample and each replicate, from the full-sample
#                             optimum, as svyolr.svyrep.design) run to reltol 1e-14, so that they are
#                             exact to ~1e-7
#   survey_rep_chisq.csv      design, test (F, Chisq), statistic, ndf, ddf, p_value (svychisq)
# Run: cd tests/reference && R CMD BATCH --no-save --no-restore survey_replicates.R

suppressPackageStartupMessages(library(survey))
cat(R.version.string, "\n")
cat("survey", as.character(packageVersion("survey")), "\n\n")
options(digits = 15)
data(api)

tidy_names <- function(d) { names(d) <- gsub(".", "_", names(d), fixed = TRUE); d }
prepare <- function(d) {
  d <- tidy_names(d)
  d$mealcat <- as.integer(cut(d$meals, c(0, 25, 50, 75, 100)))
  for (j in seq_along(d)) if (is.factor(d[[j]])) d[[j]] <- as.character(d[[j]])
  d
}
keep <- c("snum", "dnum", "stype", "api00", "enroll", "target", "sch_wide", "awards", "ell", "meals",
          "mobility", "avg_ed", "mealcat", "pw", "fpc")
clus1 <- prepare(apiclus1)[, keep]
strat <- prepare(apistrat)[, keep]

# the constructed two-PSU-per-stratum design on apistrat
strat <- strat[order(strat$stype, strat$snum), ]
strat$pair_psu <- ""
for (s in unique(strat$stype)) {
  i <- which(strat$stype == s)
  k <- if (s == "E") 8 else 4
  g <- ceiling(seq_along(i) * k / length(i))
  strat$pair_psu[i] <- paste0(s, g)
  strat$pair_st[i] <- paste0(s, ceiling(g / 2))
}
strat$pair_fpc <- ceiling(strat$fpc / 10)
rownames(strat) <- NULL

factorise <- function(d) { for (v in c("stype", "sch_wide", "awards")) d[[v]] <- factor(d[[v]]); d }
lin_clus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = factorise(clus1))
lin_pairs <- svydesign(id = ~pair_psu, strata = ~pair_st, weights = ~pw, fpc = ~pair_fpc, data = factorise(strat))
made <- list(
  jk1 = as.svrepdesign(lin_clus1, type = "JK1"),
  boot = { set.seed(17); as.svrepdesign(lin_clus1, type = "bootstrap", replicates = 50) },
  jkn = as.svrepdesign(lin_pairs, type = "JKn"),
  brr = suppressWarnings(as.svrepdesign(lin_pairs, type = "BRR")),
  fay = suppressWarnings(as.svrepdesign(lin_pairs, type = "Fay", fay.rho = 0.3))
)
add_cols <- function(d, prefix) {
  w <- weights(made[[prefix]], "analysis")
  for (j in seq_len(ncol(w))) d[[paste0(prefix, "_", j)]] <- w[, j]
  d
}
clus1 <- add_cols(add_cols(clus1, "jk1"), "boot")
strat <- add_cols(add_cols(add_cols(strat, "jkn"), "brr"), "fay")
write.csv(clus1, "../data/api_rep_clus1.csv", row.names = FALSE, na = "")
write.csv(strat, "../data/api_rep_pairs.csv", row.names = FALSE, na = "")
for (p in names(made)) cat(p, ": type", made[[p]]$type, ", replicates", ncol(weights(made[[p]], "analysis")),
                           ", scale", made[[p]]$scale, ", rscales", unique(made[[p]]$rscales), "\n")

# ---- step 2: the designs from the CSV files -------------------------------------------------------------
files <- list(clus1 = factorise(read.csv("../data/api_rep_clus1.csv", stringsAsFactors = FALSE, na.strings = "")),
              pairs = factorise(read.csv("../data/api_rep_pairs.csv", stringsAsFactors = FALSE, na.strings = "")))
# name, data, prefix, type, scale (NULL: R's default), rscales (NULL: default), rho, mse
specs <- list(
  list("clus1_jk1", "clus1", "jk1", "JK1", made$jk1$scale, NULL, NULL, FALSE),
  list("clus1_jk1_mse", "clus1", "jk1", "JK1", made$jk1$scale, NULL, NULL, TRUE),
  list("clus1_jk1_default", "clus1", "jk1", "JK1", NULL, NULL, NULL, FALSE),
  list("clus1_boot", "clus1", "boot", "bootstrap", made$boot$scale, NULL, NULL, FALSE),
  list("clus1_boot_default", "clus1", "boot", "bootstrap", NULL, NULL, NULL, TRUE),
  list("clus1_sdr", "clus1", "jk1", "successive-difference", NULL, NULL, NULL, FALSE),
  list("clus1_jk2", "clus1", "jk1", "JK2", NULL, NULL, NULL, FALSE),
  list("clus1_other", "clus1", "boot", "other", 0.02, seq(0.5, 1.5, length.out = 50), NULL, FALSE),
  list("pairs_jkn", "pairs", "jkn", "JKn", NULL, made$jkn$rscales, NULL, FALSE),
  list("pairs_jkn_mse", "pairs", "jkn", "JKn", NULL, made$jkn$rscales, NULL, TRUE),
  list("pairs_brr", "pairs", "brr", "BRR", NULL, NULL, NULL, FALSE),
  list("pairs_fay", "pairs", "fay", "Fay", NULL, NULL, 0.3, FALSE),
  list("pairs_fay_mse", "pairs", "fay", "Fay", NULL, NULL, 0.3, TRUE)
)
# the full set of estimates on these; the others (default scales, sdr, jk2, other) get the means only
full <- c("clus1_jk1", "clus1_jk1_mse", "clus1_boot", "pairs_jkn", "pairs_brr", "pairs_fay", "pairs_fay_mse")

designs <- list(); des_rows <- list(); rs_rows <- list()
for (s in specs) {
  d <- files[[s[[2]]]]
  cols <- grep(paste0("^", s[[3]], "_[0-9]+$"), names(d), value = TRUE)
  des <- suppressWarnings(svrepdesign(data = d, repweights = d[, cols], weights = ~pw, type = s[[4]],
                                      scale = s[[5]], rscales = s[[6]], rho = s[[7]], mse = s[[8]],
                                      combined.weights = TRUE))
  designs[[s[[1]]]] <- des
  des_rows[[length(des_rows) + 1]] <- data.frame(
    design = s[[1]], data = s[[2]], prefix = s[[3]], type = s[[4]],
    scale = if (is.null(s[[5]])) NA else s[[5]], rho = if (is.null(s[[7]])) NA else s[[7]], mse = s[[8]],
    n_replicates = length(cols), scale_used = des$scale, degf = degf(des))
  if (!is.null(s[[6]]))
    rs_rows[[length(rs_rows) + 1]] <- data.frame(design = s[[1]], replicate = seq_along(s[[6]]),
                                                 rscale = s[[6]])
}
# the CSV designs against the as.svrepdesign objects
for (p in c("jk1", "boot", "jkn", "brr", "fay")) {
  nm <- c(jk1 = "clus1_jk1", boot = "clus1_boot", jkn = "pairs_jkn", brr = "pairs_brr", fay = "pairs_fay")[[p]]
  a <- svymean(~api00 + enroll, made[[p]]); b <- svymean(~api00 + enroll, designs[[nm]])
  cat(nm, "vs as.svrepdesign: max relative difference of the SEs",
      max(abs(SE(a) / SE(b) - 1)), ", degf", degf(made[[p]]), degf(designs[[nm]]), "\n")
}

rows_of <- function(x, design, statistic, variable, by = FALSE, factor_var = FALSE) {
  est <- coef(x); se <- SE(x); de <- deff(x); ci <- confint(x)
  nm <- names(est)
  group <- if (by) sub(":.*$", "", nm) else rep("", length(nm))
  level <- if (factor_var) sub(paste0("^(.*:)?", variable), "", nm) else rep("", length(nm))
  data.frame(design = design, statistic = statistic, variable = variable, group = group, level = level,
             estimate = as.vector(est), se = as.vector(as.matrix(se)), deff = as.vector(as.matrix(de)),
             ci_low = ci[, 1], ci_high = ci[, 2])
}
est_rows <- list(); glm_rows <- list(); olr_rows <- list(); chi_rows <- list()
add <- function(lst, df) c(lst, list(df))

for (dn in names(designs)) {
  d <- designs[[dn]]
  for (v in c("api00", "enroll", "target")) {
    f <- as.formula(paste0("~", v))
    est_rows <- add(est_rows, rows_of(svymean(f, d, deff = TRUE, na.rm = TRUE), dn, "mean", v))
    if (!(dn %in% full)) next
    est_rows <- add(est_rows, rows_of(svytotal(f, d, deff = TRUE, na.rm = TRUE), dn, "total", v))
    # svyby: a group with no row in a replicate would make R drop that replicate with a warning (no
    # school type is missing from a replicate here; mean_first_district below has such a group)
    est_rows <- add(est_rows, rows_of(suppressWarnings(svyby(f, ~stype, d, svymean, deff = TRUE, na.rm = TRUE)),
                                      dn, "mean", v, by = TRUE))
    est_rows <- add(est_rows, rows_of(svyby(f, ~stype, d, svytotal, deff = TRUE, na.rm = TRUE), dn, "total", v,
                                      by = TRUE))
  }
  if (!(dn %in% full)) next
  if (dn == "clus1_jk1") {
    # a domain inside one PSU (the schools of the first district): the replicate that drops that
    # district has no row of it; svyby leaves that replicate out with a warning
    first <- d$variables$dnum == d$variables$dnum[1]
    r1 <- rows_of(suppressWarnings(svyby(~api00, ~first, d, svymean, deff = TRUE)), dn, "mean_first_district",
                  "api00", by = TRUE)
    est_rows <- add(est_rows, r1)
  }
  est_rows <- add(est_rows, rows_of(svymean(~awards, d, deff = TRUE), dn, "mean", "awards", factor_var = TRUE))
  est_rows <- add(est_rows, rows_of(svytotal(~awards, d, deff = TRUE), dn, "total", "awards", factor_var = TRUE))
  est_rows <- add(est_rows, rows_of(suppressWarnings(svyby(~awards, ~stype, d, svymean, deff = TRUE)), dn, "mean",
                                    "awards", by = TRUE, factor_var = TRUE))
  est_rows <- add(est_rows, rows_of(svymean(~api00, d, deff = "replace"), dn, "mean_srswr", "api00"))
  est_rows <- add(est_rows, rows_of(svytotal(~enroll, d, deff = "replace"), dn, "total_srswr", "enroll"))

  ctl <- glm.control(epsilon = 1e-15, maxit = 100)
  models <- list(
    gaussian = list(api00 ~ ell + meals + mobility, gaussian()),
    quasibinomial = list(I(sch_wide == "Yes") ~ ell + meals + mobility, quasibinomial()))
  for (m in names(models)) {
    g <- svyglm(models[[m]][[1]], d, family = models[[m]][[2]], control = ctl)
    s <- coef(summary(g))
    ci <- confint(g)
    dat <- d$variables
    dat$.w <- d$pweights / mean(d$pweights)
    plain <- glm(models[[m]][[1]], data = dat, weights = .w, family = models[[m]][[2]], control = ctl)
    glm_rows <- add(glm_rows, data.frame(design = dn, model = m, term = rownames(s), estimate = s[, 1],
                                         se = s[, 2], statistic = s[, 3], df = g$df.residual, p_value = s[, 4],
                                         ci_low = ci[, 1], ci_high = ci[, 2],
                                         deff = diag(vcov(g)) / diag(summary(plain)$cov.scaled)))
  }

  # svyolr: R's own, then the same computation with every polr fit tightened
  olr_formula <- factor(mealcat) ~ avg_ed + mobility + stype
  o <- svyolr(olr_formula, d)
  tight <- list(reltol = 1e-14, maxit = 5000)
  dat <- model.frame(d)
  pwt <- weights(d, "sampling")
  full_fit <- suppressWarnings(MASS::polr(olr_formula, data = dat, weights = pwt, control = tight))
  start <- c(full_fit$coefficients, full_fit$zeta)
  betas <- apply(weights(d, "analysis"), 2, function(w) {
    environment(olr_formula) <- environment()  # polr finds `w` here, as in svyolr.svyrep.design
    m <- suppressWarnings(MASS::polr(olr_formula, data = dat, weights = w, start = start, control = tight))
    c(m$coefficients, m$zeta)
  })
  v <- survey:::svrVar(t(betas), d$scale, d$rscales, mse = d$mse, coef = start)
  olr_rows <- add(olr_rows, data.frame(design = dn, term = names(start), estimate = start,
                                       se = sqrt(diag(v)), se_svyolr = sqrt(diag(vcov(o))),
                                       statistic = start / sqrt(diag(v))))
  for (test in c("F", "Chisq")) {
    ch <- svychisq(~sch_wide + stype, d, statistic = test)
    chi_rows <- add(chi_rows, data.frame(design = dn, test = test, statistic = unname(ch$statistic),
                                         ndf = unname(ch$parameter[1]),
                                         ddf = if (test == "F") unname(ch$parameter[2]) else NA,
                                         p_value = ch$p.value))
  }
}
wr <- function(lst, file) {
  out <- do.call(rbind, lst)
  rownames(out) <- NULL
  write.csv(out, file, row.names = FALSE, na = "")
  print(head(out, 30))
}
wr(des_rows, "survey_rep_designs.csv")
wr(rs_rows, "survey_rep_rscales.csv")
wr(est_rows, "survey_rep_estimates.csv")
wr(glm_rows, "survey_rep_glm.csv")
wr(olr_rows, "survey_rep_olr.csv")
wr(chi_rows, "survey_rep_chisq.csv")
