# Reference values for the survey design in the reports and claims (src/analysis/models/survey_report.py,
# src/analysis/claims/_claim_models.py; tests/test_survey_reports.py), on the shared GSS extract
# ../shared/data/gss_happy_1972_2006/data.csv with its weight wtssall (no strata or clusters in this extract).
# Run: cd tests/reference && R CMD BATCH --no-save --no-restore survey_claims.R
# Writes
#   survey_claims.csv  fixture, quantity, value:
#     overview_weighted / overview_unweighted: svymean(na.rm = TRUE, deff = "replace") of age and of the levels of
#       happy and sex (estimate, se, deff), design svydesign(ids = ~1, weights = ~wtssall) or weights 1
#     claim_married_happier: the weighted correlation of married (marital == "married", 1/0) with happy
#       (1 = not too happy .. 3 = very happy), as the slope of svyglm(zy ~ zx) on variables standardized with
#       the weighted mean and variance (svymean, svyvar), complete cases of (married, happy); estimate, se,
#       ci_low, ci_high (confint), p_value, n
#     claim_regression: svyglm(happy ~ married + age) gaussian, coefficient of married (estimate, se, ci, p)
#     claim_logistic: svyglm(very ~ married + age, quasibinomial), very = happy == "very happy" (glm converged
#       to epsilon 1e-14)
#     notebook_regression: svyglm(happy ~ married + age) on the design of the whole file (not complete cases)
#     claim_married_happier_panel: the same weighted correlation on ../shared/data/gss_panel_2006_2014 wave 1,
#       rows with the panel weight wtpannr123 (the codebook leaves the others out), design
#       svydesign(ids = ~firstid, strata = ~panel, weights = ~wtpannr123, nest = TRUE)
#     meta_married_happier: metafor::rma(method = "REML") of the two weighted r on Fisher's z, SE of z by the
#       delta method (se / (1 - r^2)): tau2, z, se, estimate (tanh z), ci_low, ci_high
library(survey)
library(metafor)
options(digits = 15)
cat("R", R.version$major, R.version$minor, "survey", as.character(packageVersion("survey")), "\n")

d <- read.csv("../../../shared/data/gss_happy_1972_2006/data.csv", na.strings = "")
d$happy_n <- 4 - match(d$happy, c("very happy", "pretty happy", "not too happy"))
d$married <- ifelse(is.na(d$marital), NA, as.numeric(d$marital == "married"))
d$very <- ifelse(is.na(d$happy), NA, as.numeric(d$happy == "very happy"))

out <- data.frame(fixture = character(), quantity = character(), value = numeric())
add <- function(fixture, quantity, value) {
  out <<- rbind(out, data.frame(fixture = fixture, quantity = quantity, value = unname(value)))
}

d$one <- 1
for (fx in c("overview_weighted", "overview_unweighted")) {
  des <- svydesign(ids = ~1, weights = if (fx == "overview_weighted") ~wtssall else ~one, data = d)
  for (v in c("age", "happy", "sex")) {
    m <- svymean(as.formula(paste0("~", v)), des, na.rm = TRUE, deff = "replace")
    nm <- names(coef(m))
    for (k in seq_along(nm)) {
      lev <- sub(paste0("^", v), "", nm[k])
      key <- if (lev == "") v else paste0(v, "=", lev)
      add(fx, paste0("estimate:", key), coef(m)[k])
      add(fx, paste0("se:", key), SE(m)[k])
      add(fx, paste0("deff:", key), deff(m)[k])
    }
  }
}

cc <- d[!is.na(d$married) & !is.na(d$happy_n), ]
des <- svydesign(ids = ~1, weights = ~wtssall, data = cc)
mu <- coef(svymean(~married + happy_n, des))
va <- diag(coef(svyvar(~married + happy_n, des)))
cc$zx <- (cc$married - mu[["married"]]) / sqrt(va[1])
cc$zy <- (cc$happy_n - mu[["happy_n"]]) / sqrt(va[2])
des <- svydesign(ids = ~1, weights = ~wtssall, data = cc)
add_fit <- function(fixture, fit, term) {
  s <- summary(fit)$coefficients
  ci <- confint(fit)
  add(fixture, "estimate", s[term, 1]); add(fixture, "se", s[term, 2]); add(fixture, "p_value", s[term, 4])
  add(fixture, "ci_low", ci[term, 1]); add(fixture, "ci_high", ci[term, 2]); add(fixture, "n", nobs(fit))
}
add_fit("claim_married_happier", svyglm(zy ~ zx, des), "zx")
add("claim_married_happier", "weighted_r", cov.wt(cbind(cc$married, cc$happy_n), wt = cc$wtssall, cor = TRUE)$cor[1, 2])

pn <- read.csv("../../../shared/data/gss_panel_2006_2014/data.csv", na.strings = "")
pn <- pn[!is.na(pn$wtpannr123) & pn$wave == 1, ]
pn$happy_n <- 4 - match(pn$happy, c("Very Happy", "Pretty Happy", "Not Too Happy"))
pn$married <- ifelse(is.na(pn$marital), NA, as.numeric(pn$marital == "Married"))
pc <- pn[!is.na(pn$married) & !is.na(pn$happy_n), ]
pdes <- svydesign(ids = ~firstid, strata = ~panel, weights = ~wtpannr123, nest = TRUE, data = pc)
mu <- coef(svymean(~married + happy_n, pdes))
va <- diag(coef(svyvar(~married + happy_n, pdes)))
pc$zx <- (pc$married - mu[["married"]]) / sqrt(va[1])
pc$zy <- (pc$happy_n - mu[["happy_n"]]) / sqrt(va[2])
pdes <- svydesign(ids = ~firstid, strata = ~panel, weights = ~wtpannr123, nest = TRUE, data = pc)
add_fit("claim_married_happier_panel", svyglm(zy ~ zx, pdes), "zx")

r <- out$value[out$fixture %in% c("claim_married_happier", "claim_married_happier_panel") & out$quantity == "estimate"]
se <- out$value[out$fixture %in% c("claim_married_happier", "claim_married_happier_panel") & out$quantity == "se"]
m <- rma(yi = atanh(r), sei = se / (1 - r^2), method = "REML")
add("meta_married_happier", "tau2", m$tau2); add("meta_married_happier", "z", coef(m)[[1]])
add("meta_married_happier", "se", m$se); add("meta_married_happier", "estimate", tanh(coef(m)[[1]]))
add("meta_married_happier", "ci_low", tanh(m$ci.lb)); add("meta_married_happier", "ci_high", tanh(m$ci.ub))

cc <- d[!is.na(d$married) & !is.na(d$happy_n) & !is.na(d$age), ]
des <- svydesign(ids = ~1, weights = ~wtssall, data = cc)
add_fit("claim_regression", svyglm(happy_n ~ married + age, des), "married")
add_fit("claim_logistic", svyglm(very ~ married + age, des, family = quasibinomial(),
                                 control = glm.control(epsilon = 1e-14, maxit = 100)), "married")
# the same linear model on the design of the whole file (rows with a missing value stay in the design with
# no weight in the model, as svyglm's na.action does): what design_model fits in the regression notebook
add_fit("notebook_regression", svyglm(happy_n ~ married + age, svydesign(ids = ~1, weights = ~wtssall, data = d)),
        "married")

write.csv(out, "survey_claims.csv", row.names = FALSE)
