/**
 * Panel and query helpers shared by every dashboard. Each returns a fresh builder:
 * builders mutate in place, so a shared instance would leak settings between panels.
 */
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

/** Every query goes to the dashboard's `$datasource` variable. */
export const DATASOURCE = { type: 'prometheus', uid: '$datasource' } as const;

/** A range query with a legend. */
export function promQuery(expr: string, legend: string): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder()
    .datasource(DATASOURCE)
    .expr(expr)
    .legendFormat(legend)
    .range();
}

/** An instant query, one series per bar (rankings: `sort_desc` order is bar order). */
export function instantQuery(expr: string, legend: string): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder()
    .datasource(DATASOURCE)
    .expr(expr)
    .legendFormat(legend)
    .instant();
}

/** An instant query in table format (one row per series), for tables merged by labels. */
export function tableQuery(expr: string): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder()
    .datasource(DATASOURCE)
    .expr(expr)
    .format(prometheus.PromQueryFormat.Table)
    .instant();
}

/** Thresholds: `base` colour below `value`, `above` colour from it. */
export function thresholdAt(
  value: number,
  above = 'red',
  base = 'green',
): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps([
    { value: null, color: base },
    { value, color: above },
  ]);
}

/** A line chart with a multi-series tooltip sorted by value and a table legend. */
export function defaultTimeseries(title: string, description: string): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .lineWidth(1)
    .fillOpacity(10)
    .showPoints(common.VisibilityMode.Never)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .placement(common.LegendPlacement.Bottom)
        .displayMode(common.LegendDisplayMode.Table)
        .calcs(['mean', 'lastNotNull']),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder()
        .mode(common.TooltipDisplayMode.Multi)
        .sort(common.SortOrder.Descending),
    )
    .height(8)
    .span(12);
}

/** A line chart with a dashed threshold line at `value` (the alert's threshold). */
export function thresholdTimeseries(
  title: string,
  description: string,
  value: number,
): timeseries.PanelBuilder {
  return defaultTimeseries(title, description)
    .thresholds(thresholdAt(value))
    .thresholdsStyle(
      new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed),
    );
}

/** A single value: the last non-null value of each series, uncoloured (no thresholds). */
export function defaultStat(title: string, description: string): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']))
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.None)
    .height(4)
    .span(6);
}

/** Horizontal bars, one per series, coloured by `thresholds`: for rankings. */
export function rankingBarGauge(
  title: string,
  description: string,
  thresholds: dashboard.ThresholdsConfigBuilder,
): bargauge.PanelBuilder {
  return new bargauge.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Basic)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .thresholds(thresholds)
    .height(8)
    .span(12);
}

/** A table of instant queries merged into one row per label set. */
export function mergedTable(title: string, description: string): table.PanelBuilder {
  return new table.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .withTransformation({ id: 'merge', options: {} })
    .height(9)
    .span(24);
}

/** Value mapping 0/1 to words and colours, for 0/1 gauges such as `cache_enabled` (use with colorMode Value). */
export function onOffMapping(off: string, on: string, onColor = 'green', offColor = 'red') {
  return [
    {
      type: dashboard.MappingType.ValueToText,
      options: {
        '0': { text: off, color: offColor, index: 0 },
        '1': { text: on, color: onColor, index: 1 },
      },
    } satisfies dashboard.ValueMap,
  ];
}

/**
 * The title of the stat every dashboard opens with: whether FEATURE_CACHE is on. With it
 * off the cache panels are empty, and this panel says why ("Off"), never "No data".
 */
export const CACHE_STATE_TITLE = 'Cache enabled';
