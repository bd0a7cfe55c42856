/* The ROI calculator: guide_builder.analysis.roi.roi_for and build_total in JavaScript,
 * fed by roi_model. Keep them in step: tests hold both to the same inputs and outputs. */
(function () {
  "use strict";

  var J_PER_KWH = 3.6e6;

  function electricity(energyJ, imagesPerYear, cnyPerKwh) {
    return energyJ === null || energyJ === undefined ? null : energyJ * imagesPerYear / J_PER_KWH * cnyPerKwh;
  }

  function roiFor(i) {
    var perYear = i.images_per_day * i.working_days_per_year;
    var savedS = i.baseline_seconds_per_image - i.seconds_per_image;
    var hours = savedS * perYear / 3600;
    var cny = hours * i.hourly_rate_cny;
    var elec = electricity(i.energy_j_per_image, perYear, i.electricity_cny_per_kwh);
    var baseElec = electricity(i.baseline_energy_j_per_image, perYear, i.electricity_cny_per_kwh);
    var net = elec !== null && baseElec !== null ? cny - (elec - baseElec) : cny;
    var extra = i.price_cny - i.baseline_price_cny;
    var payback = net <= 0 ? null : extra <= 0 ? 0 : extra / (net / 12);
    return {
      images_per_year: perYear,
      seconds_saved_per_image: savedS,
      hours_saved_per_year: hours,
      cny_saved_per_year: cny,
      electricity_cny_per_year: elec,
      baseline_electricity_cny_per_year: baseElec,
      net_cny_saved_per_year: net,
      extra_cost_cny: extra,
      payback_months: payback,
    };
  }
  window.guideRoiFor = roiFor; // for tests and curious readers

  // The whole build without the parts the reader already owns (roi.build_total).
  function buildTotal(card, owned) {
    var total = card.card_cny + (card.cooling_cny || 0);
    ["psu", "ssd", "ram"].forEach(function (part) {
      if (owned.indexOf(part) < 0) total += card[part + "_cny"] || 0;
    });
    return total;
  }
  window.guideBuildTotal = buildTotal;

  function fixed(value, digits) {
    return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }

  function show(cell, field, value, box) {
    cell.setAttribute("data-value", value === null ? "" : String(value));
    if (value === null) {
      cell.textContent = field === "payback_months" ? box.dataset.never : "—";
    } else if (field === "hours_saved_per_year") {
      cell.textContent = fixed(value, 1) + box.dataset.unitH;
    } else if (field === "gpu") {
      cell.textContent = value;
    } else if (field === "payback_months") {
      cell.textContent = fixed(value, 1) + box.dataset.unitMonths;
    } else {
      cell.textContent = "¥" + fixed(value, 0);
    }
  }

  function update(box, model) {
    var params = Object.assign({}, model.parameters);
    box.querySelectorAll("input[type=number][name]").forEach(function (input) {
      var value = parseFloat(input.value);
      if (!isNaN(value)) params[input.name] = value;
    });
    var owned = [];
    box.querySelectorAll("input[type=checkbox]").forEach(function (input) {
      if (input.checked) owned.push(input.name.replace("own_", ""));
    });
    var base = model.baseline;
    function fill(row, card) {
      var out = roiFor(Object.assign({}, params, {
        seconds_per_image: card.seconds_per_image,
        baseline_seconds_per_image: base.seconds_per_image,
        price_cny: buildTotal(card, owned),
        baseline_price_cny: buildTotal(base, owned),
        energy_j_per_image: card.energy_j_per_image,
        baseline_energy_j_per_image: base.energy_j_per_image,
      }));
      out.price_cny = buildTotal(card, owned);
      out.gpu = card.gpu;
      row.querySelectorAll("[data-field]").forEach(function (cell) {
        show(cell, cell.dataset.field, out[cell.dataset.field], box);
      });
    }
    box.querySelectorAll("tr[data-card]").forEach(function (row) {
      fill(row, model.cards[Number(row.dataset.card)]);
    });
    var select = box.querySelector("select[name=choice]");
    var choiceRow = box.querySelector("tr[data-choice]");
    if (select && choiceRow && model.choices && model.choices.length) {
      fill(choiceRow, model.choices[Number(select.value)]);
    }
  }

  function bind(box) {
    if (box.dataset.bound) return;
    box.dataset.bound = "1";
    var model = JSON.parse(box.dataset.roi);
    model.choices = box.dataset.choices ? JSON.parse(box.dataset.choices) : [];
    if (!model.baseline) return;
    box.querySelectorAll("input, select").forEach(function (input) {
      input.addEventListener("input", function () { update(box, model); });
      input.addEventListener("change", function () { update(box, model); });
    });
    update(box, model);
  }

  document$.subscribe(function () {
    document.querySelectorAll(".gb-roi[data-roi]").forEach(bind);
  });
})();
