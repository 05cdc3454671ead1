# Reference values for tests/test_survey_design.py: design-based (Taylor linearisation) estimates
# with R's survey package (Lumley, 2004; 2010): svymean, svytotal, svyby, svyglm (gaussian and
# quasibinomial), svyolr and svychisq, each with the design effect (deff = TRUE), and the
# survey.lonely.psu options.
#
# Input : the survey package's own `api` data (California Academic Performance Index, 2000:
#         apistrat = stratified by school type, apiclus1 = one-stage cluster sample of 15 districts,
#         apiclus2 = two-stage sample of districts then schools); and
#         ../../../shared/data/gss_happy_1972_2006/data.csv (GSS 1972-2006 extract, N = 51,020, with the
#         GSS weight wtssall; see its SOURCE.md) and ../../../shared/data/gss_panel_2006_2014/data.csv
#         (GSS panels, panel weight wtpannr123). The GSS parts are skipped when the files are absent.
# Output (written here, in tests/reference, and the data in tests/data):
#   ../data/api_strat.csv, ../data/api_clus1.csv, ../data/api_clus2.csv
#                             the three api data sets with their design variables (dots in
#                             names replaced by underscores; mealcat = cut(meals, c(0, 25, 50,
#                             75, 100)) as its code 1-4; api_clus1 also has lonely_st, four
#                             artificial strata of the 15 districts, the last holding a single
#                             district (a stratum with one PSU))
#   survey_designs.csv        design, n, n_psu, n_strata, df (degf)
#   survey_estimates.csv      design, lonely, statistic (mean, total; mean_srswr and total_srswr:
#                             deff = "replace", the design effect against sampling with
#                             replacement), variable, group (svyby
#                             group, "" for the whole sample), level (factor level, "" for a
#                             numeric variable), estimate, se, deff, ci_low, ci_high (confint:
#                             normal quantiles, R's default for svystat)
#   survey_glm.csv            design, lonely, model, term, estimate, se, statistic, df, p_value,
#                             ci_low, ci_high (confint.svyglm, Wald with t(df)), deff (glm run to
#                             epsilon 1e-15 so that the estimates are the exact optimum)
#   survey_olr.csv            design, term, estimate, se, statistic (summary(svyolr), clus1, clus2
#                             and gss; optim run to reltol 1e-14 so that the optimum is exact to
#                             ~1e-8, and its numerical Hessian with steps ndeps = 1e-5 instead
#                             of 1e-3, so that the SEs are exact to ~1e-8 too)
#   survey_chisq.csv          design, lonely, test (F, Chisq), statistic, ndf, ddf, p_value
#                             (Chisq: statistic = Pearson X^2 scaled to the number of rows, as
#                             R prints it, and the first-order corrected X^2 / mean(eigenvalues))
# Designs (the same in the tests):
#   strat   svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
#   clus1   svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
#   clus2   svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2) (weights from the fpc)
#   lonely  svydesign(id = ~dnum, strata = ~lonely_st, weights = ~pw, data = apiclus1), with
#           options(survey.lonely.psu = "remove", "adjust", "certainty", "average")
#   gss     svydesign(id = ~1, weights = ~wtssall, data = gss)
#   gss_year svydesign(id = ~1, strata = ~year, weights = ~wtssall, data = gss)
#   gss_panel svydesign(id = ~firstid, strata = ~panel, weights = ~wtpannr123, nest = TRUE, data =
#           the rows of ../../../shared/data/gss_panel_2006_2014/data.csv with a wtpannr123 weight:
#           3,875 respondents x 3 waves; each respondent is a PSU of its panel)
# Run: cd tests/reference && R CMD BATCH --no-save --no-restore survey.R

suppressPackageStartupMessages(library(survey))
cat(R.version.string, "\n")
cat("survey", as.character(packageVersion("survey")), "\n\n")
options(digits = 15)
data(api)

tidy_names <- function(d) { names(d) <- gsub(".", "_", names(d), fixed = TRUE); d }
strat <- tidy_names(apistrat)
clus1 <- tidy_names(apiclus1)
clus2 <- tidy_names(apiclus2)
for (nm in c("strat", "clus1", "clus2")) {
  d <- get(nm)
  d$mealcat <- as.integer(cut(d$meals, c(0, 25, 50, 75, 100)))
  for (j in seq_along(d)) if (is.factor(d[[j]])) d[[j]] <- as.character(d[[j]])
  assign(nm, d)
}
districts <- sort(unique(clus1$dnum))
clus1$lonely_st <- c("A", "B", "C", "D")[findInterval(match(clus1$dnum, districts), c(1, 6, 11, 15))]
write.csv(strat, "../data/api_strat.csv", row.names = FALSE, na = "")
write.csv(clus1, "../data/api_clus1.csv", row.names = FALSE, na = "")
write.csv(clus2, "../data/api_clus2.csv", row.names = FALSE, na = "")
factorise <- function(d) { for (v in c("stype", "sch_wide", "awards", "both")) d[[v]] <- factor(d[[v]]); d }

designs <- list(
  strat = svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = factorise(strat)),
  clus1 = svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = factorise(clus1)),
  clus2 = svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = factorise(clus2)),
  lonely = svydesign(id = ~dnum, strata = ~lonely_st, weights = ~pw, data = factorise(clus1))
)
gss_path <- "../../../shared/data/gss_happy_1972_2006/data.csv"
if (file.exists(gss_path)) {
  gss <- read.csv(gss_path, stringsAsFactors = FALSE, na.strings = "")
  gss$happy <- factor(gss$happy, levels = c("not too happy", "pretty happy", "very happy"))
  gss$marital <- factor(gss$marital)
  gss$sex <- factor(gss$sex)
  gss$very_happy <- as.numeric(gss$happy == "very happy")
  designs$gss <- svydesign(id = ~1, weights = ~wtssall, data = gss)
  designs$gss_year <- svydesign(id = ~1, strata = ~year, weights = ~wtssall, data = gss)
} else cat("GSS file absent: GSS fixtures skipped\n")
panel_path <- "../../../shared/data/gss_panel_2006_2014/data.csv"
if (file.exists(panel_path)) {
  panel <- read.csv(panel_path, stringsAsFactors = FALSE, na.strings = "")
  panel <- panel[!is.na(panel$wtpannr123), ]
  panel$sex <- factor(panel$sex)
  designs$gss_panel <- svydesign(id = ~firstid, strata = ~panel, weights = ~wtpannr123, nest = TRUE,
                                 data = panel)
} else cat("GSS panel file absent: panel fixtures skipped\n")

# one svystat / svyby result -> rows
rows_of <- function(x, design, lonely, statistic, variable, by = FALSE, factor_var = FALSE) {
  est <- coef(x); se <- SE(x); de <- deff(x); ci <- confint(x)
  nm <- names(est)
  group <- if (by) sub(":.*$", "", nm) else rep("", length(nm))
  level <- if (factor_var) sub(paste0("^(.*:)?", variable), "", nm) else rep("", length(nm))
  data.frame(design = design, lonely = lonely, statistic = statistic, variable = variable,
             group = group, level = level, estimate = as.vector(est), se = as.vector(as.matrix(se)),
             deff = as.vector(as.matrix(de)), ci_low = ci[, 1], ci_high = ci[, 2])
}

est_rows <- list(); glm_rows <- list(); olr_rows <- list(); chi_rows <- list(); des_rows <- list()
add <- function(lst, df) c(lst, list(df))

for (dn in names(designs)) {
  d <- designs[[dn]]
  lonely_opts <- if (dn == "lonely") c("remove", "adjust", "certainty", "average") else "fail"
  is_gss <- startsWith(dn, "gss")
  des_rows <- add(des_rows, data.frame(design = dn, n = nrow(d), n_psu = length(unique(d$cluster[, 1])),
                                       n_strata = length(unique(d$strata[, 1])), df = degf(d)))
  for (lonely in lonely_opts) {
    options(survey.lonely.psu = lonely)
    if (dn == "gss_panel") {
      est_rows <- add(est_rows, rows_of(svymean(~happy_num, d, deff = "replace", na.rm = TRUE), dn, lonely,
                                        "mean_srswr", "happy_num"))
      est_rows <- add(est_rows, rows_of(svyby(~happy_num, ~wave, d, svymean, deff = TRUE, na.rm = TRUE), dn,
                                        lonely, "mean", "happy_num", by = TRUE))
      est_rows <- add(est_rows, rows_of(svytotal(~childs, d, deff = TRUE, na.rm = TRUE), dn, lonely, "total",
                                        "childs"))
      models <- list(
        gaussian = svyglm(happy_num ~ factor(wave) + sex, d, deff = TRUE),
        quasibinomial = svyglm(I(happy_num == 1) ~ factor(wave) + sex + age, d, family = quasibinomial(),
                               deff = TRUE, control = glm.control(epsilon = 1e-15, maxit = 100)))
      tabs <- list(c("happy", "sex"))
    } else if (!is_gss) {
      for (v in c("api00", "enroll", "target")) {
        f <- as.formula(paste0("~", v))
        est_rows <- add(est_rows, rows_of(svymean(f, d, deff = TRUE, na.rm = TRUE), dn, lonely, "mean", v))
        est_rows <- add(est_rows, rows_of(svytotal(f, d, deff = TRUE, na.rm = TRUE), dn, lonely, "total", v))
        est_rows <- add(est_rows, rows_of(svyby(f, ~stype, d, svymean, deff = TRUE, na.rm = TRUE), dn, lonely,
                                          "mean", v, by = TRUE))
        est_rows <- add(est_rows, rows_of(svyby(f, ~stype, d, svytotal, deff = TRUE, na.rm = TRUE), dn, lonely,
                                          "total", v, by = TRUE))
      }
      est_rows <- add(est_rows, rows_of(svymean(~awards, d, deff = TRUE), dn, lonely, "mean", "awards",
                                        factor_var = TRUE))
      est_rows <- add(est_rows, rows_of(svytotal(~awards, d, deff = TRUE), dn, lonely, "total", "awards",
                                        factor_var = TRUE))
      est_rows <- add(est_rows, rows_of(svyby(~awards, ~stype, d, svymean, deff = TRUE), dn, lonely, "mean",
                                        "awards", by = TRUE, factor_var = TRUE))
      est_rows <- add(est_rows, rows_of(svymean(~api00, d, deff = "replace"), dn, lonely, "mean_srswr", "api00"))
      est_rows <- add(est_rows, rows_of(svytotal(~enroll, d, deff = "replace"), dn, lonely, "total_srswr",
                                        "enroll"))
      models <- list(
        gaussian = svyglm(api00 ~ ell + meals + mobility, d, deff = TRUE),
        quasibinomial = svyglm(I(sch_wide == "Yes") ~ ell + meals + mobility, d, family = quasibinomial(),
                               deff = TRUE, control = glm.control(epsilon = 1e-15, maxit = 100)))
      tabs <- list(c("sch_wide", "stype"))
    } else {
      est_rows <- add(est_rows, rows_of(svymean(~age, d, deff = TRUE, na.rm = TRUE), dn, lonely, "mean", "age"))
      est_rows <- add(est_rows, rows_of(svymean(~happy, d, deff = TRUE, na.rm = TRUE), dn, lonely, "mean",
                                        "happy", factor_var = TRUE))
      est_rows <- add(est_rows, rows_of(svyby(~very_happy, ~marital, d, svymean, deff = TRUE, na.rm = TRUE),
                                        dn, lonely, "mean", "very_happy", by = TRUE))
      est_rows <- add(est_rows, rows_of(svymean(~age, d, deff = "replace", na.rm = TRUE), dn, lonely, "mean_srswr",
                                        "age"))
      # deff(svyby(..., deff = "replace")) fails in survey 4.1.1; svyby's own subsets, one by one
      for (g in levels(gss$marital)) {
        r1 <- rows_of(svymean(~very_happy, subset(d, marital == g), deff = "replace", na.rm = TRUE), dn, lonely,
                      "mean_srswr", "very_happy")
        r1$group <- g
        est_rows <- add(est_rows, r1)
      }
      models <- list(
        gaussian = svyglm(age ~ sex + marital, d, deff = TRUE),
        quasibinomial = svyglm(very_happy ~ age + sex + marital, d, family = quasibinomial(), deff = TRUE,
                               control = glm.control(epsilon = 1e-15, maxit = 100)))
      tabs <- list(c("happy", "marital"))
    }
    for (m in names(models)) {
      g <- models[[m]]
      s <- coef(summary(g))
      ci <- confint(g)
      glm_rows <- add(glm_rows, data.frame(design = dn, lonely = lonely, model = m, term = rownames(s),
                                           estimate = s[, 1], se = s[, 2], statistic = s[, 3],
                                           df = g$df.residual, p_value = s[, 4], ci_low = ci[, 1],
                                           ci_high = ci[, 2], deff = diag(attr(g, "deff"))))
    }
    for (tb in tabs) {
      f <- as.formula(paste0("~", tb[1], "+", tb[2]))
      for (test in c("F", "Chisq")) {
        ch <- svychisq(f, d, statistic = test)
        if (test == "F") {
          chi_rows <- add(chi_rows, data.frame(design = dn, lonely = lonely, test = test,
                                               statistic = unname(ch$statistic), ndf = unname(ch$parameter[1]),
                                               ddf = unname(ch$parameter[2]), p_value = ch$p.value))
        } else {
          chi_rows <- add(chi_rows, data.frame(design = dn, lonely = lonely, test = test,
                                               statistic = unname(ch$statistic), ndf = unname(ch$parameter),
                                               ddf = NA, p_value = ch$p.value))
        }
      }
    }
  }
  options(survey.lonely.psu = "fail")
  # 7 parameters (4 slopes, 3 thresholds) for api, 8 (6 + 2) for the GSS
  ndeps <- rep(1e-5, if (startsWith(dn, "gss")) 8 else 7)
  olr_formula <- if (dn %in% c("clus1", "clus2")) factor(mealcat) ~ avg_ed + mobility + stype else
    if (dn == "gss") happy ~ age + sex + marital else NULL
  o <- NULL
  # the tightest optim tolerance whose numerical Hessian is still invertible
  for (reltol in c(1e-14, 1e-12, 1e-10, 1e-8)) {
    if (is.null(olr_formula) || !is.null(o)) break
    o <- tryCatch(svyolr(olr_formula, d, control = list(reltol = reltol, maxit = 5000, ndeps = ndeps)),
                  error = function(e) { cat("svyolr on", dn, "with reltol", reltol, ":", conditionMessage(e), "\n")
                    NULL })
    used_reltol <- reltol
  }
  if (!is.null(o)) {
    s <- coef(summary(o))
    olr_rows <- add(olr_rows, data.frame(design = dn, term = rownames(s), estimate = s[, 1], se = s[, 2],
                                         statistic = s[, 3], reltol = used_reltol))
  }
}
wr <- function(lst, file) {
  bad <- sapply(lst, ncol) != ncol(lst[[1]])
  if (any(bad)) { print(lst[bad][[1]]); print(lst[[1]]) }
  out <- do.call(rbind, lst)
  rownames(out) <- NULL
  write.csv(out, file, row.names = FALSE, na = "")
  print(head(out, 40))
}
wr(des_rows, "survey_designs.csv")
wr(est_rows, "survey_estimates.csv")
wr(glm_rows, "survey_glm.csv")
wr(olr_rows, "survey_olr.csv")
wr(chi_rows, "survey_chisq.csv")
