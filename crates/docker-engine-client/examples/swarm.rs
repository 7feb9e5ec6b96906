//! Swarm services: deploy a replicated service, scale it, roll out an update
//! one task at a time, and watch its tasks move through their states; then
//! remove it. Run it against a swarm manager:
//!
//! `DOCKER_HOST=… cargo run --example swarm -- [IMAGE]` (default image:
//! `busybox`; every node must have it or be able to pull it).
//!
//! It is written once for every compiled-in API version (`docker.client()` and
//! `with_api!`), so it runs with whichever versions the build has.

use std::time::{Duration, Instant};

use docker_engine_client::{Docker, Filters, with_api};

/// How long each step may take before the example gives up.
const STEP_TIMEOUT: Duration = Duration::from_secs(120);

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let image = std::env::args().nth(1).unwrap_or_else(|| "busybox".into());
    let docker = Docker::from_env()?;
    let client = docker.client().await?;
    println!("API v{}", client.version());
    let name = format!("dea-example-{}", std::process::id());

    with_api!(&client, |c, api| {
        // A task that stops at once on SIGTERM (a plain `sleep` as pid 1 would
        // ignore it and use up the stop grace period).
        let script = "echo started $VERSION; trap 'exit 0' TERM; sleep 100000 & wait";
        let spec = api::types::ServiceSpec {
            name: Some(name.clone()),
            mode: Some(api::types::ServiceSpecMode {
                replicated: Some(api::types::ServiceSpecModeReplicated { replicas: Some(2) }),
                ..Default::default()
            }),
            task_template: Some(api::types::TaskSpec {
                container_spec: Some(api::types::TaskSpecContainerSpec {
                    image: Some(image.clone()),
                    command: Some(vec!["sh".into(), "-c".into(), script.into()]),
                    env: Some(vec!["VERSION=1".into()]),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            // Updates replace one task at a time, a second apart.
            update_config: Some(api::types::ServiceSpecUpdateConfig {
                parallelism: Some(1),
                delay: Some(1_000_000_000),
                ..Default::default()
            }),
            ..Default::default()
        };
        let id = c
            .service_create()
            .body(spec)
            .send()
            .await?
            .into_inner()
            .id
            .ok_or("the daemon answered no service id")?;
        println!("created service {name} ({id})");

        // The steps, then the service is removed whatever happened.
        let steps = async {
            let running = |want: usize, env: &'static str| {
                move |tasks: &[TaskLine]| {
                    tasks.iter().filter(|t| t.running && t.env == env).count() == want
                }
            };
            println!("-- deploy: 2 replicas");
            watch(|| tasks(c, &id), running(2, "VERSION=1")).await?;

            println!("-- scale to 4");
            update(c, &id, |spec: &mut api::types::ServiceSpec| {
                spec.mode = Some(api::types::ServiceSpecMode {
                    replicated: Some(api::types::ServiceSpecModeReplicated { replicas: Some(4) }),
                    ..Default::default()
                });
            })
            .await?;
            watch(|| tasks(c, &id), running(4, "VERSION=1")).await?;

            println!("-- rolling update to VERSION=2, one task at a time");
            update(c, &id, |spec: &mut api::types::ServiceSpec| {
                if let Some(container) = spec
                    .task_template
                    .as_mut()
                    .and_then(|t| t.container_spec.as_mut())
                {
                    container.env = Some(vec!["VERSION=2".into()]);
                }
            })
            .await?;
            watch(|| tasks(c, &id), running(4, "VERSION=2")).await
        };
        let outcome: Result<(), Box<dyn std::error::Error>> = steps.await;
        c.service_delete().id(&id).send().await?;
        println!("removed service {name}");
        outcome?;

        /// The service's tasks, by slot (newest first within a slot).
        async fn tasks(
            c: &api::Client,
            service: &str,
        ) -> Result<Vec<TaskLine>, docker_engine_client::Error> {
            let listed = c
                .task_list()
                .filters(Filters::new().add("service", service))
                .send()
                .await?
                .into_inner();
            let mut lines: Vec<TaskLine> = listed
                .into_iter()
                .map(|t| {
                    let state = t.status.as_ref().and_then(|s| s.state.clone());
                    let desired = t.desired_state.clone();
                    TaskLine {
                        slot: t.slot.unwrap_or_default(),
                        id: t.id.unwrap_or_default().chars().take(12).collect(),
                        node: t.node_id.unwrap_or_default().chars().take(12).collect(),
                        running: state == Some(api::types::TaskState::Running)
                            && desired == Some(api::types::TaskState::Running),
                        state: state.map(|s| s.to_string()).unwrap_or_default(),
                        desired: desired.map(|s| s.to_string()).unwrap_or_default(),
                        env: t
                            .spec
                            .and_then(|s| s.container_spec)
                            .and_then(|c| c.env)
                            .unwrap_or_default()
                            .join(" "),
                    }
                })
                .collect();
            lines.sort_by(|a, b| a.slot.cmp(&b.slot).then(b.running.cmp(&a.running)));
            Ok(lines)
        }

        /// Inspects the service, applies `change` to its spec and sends it
        /// with the version it was read at.
        async fn update(
            c: &api::Client,
            service: &str,
            change: impl FnOnce(&mut api::types::ServiceSpec),
        ) -> Result<(), Box<dyn std::error::Error>> {
            let current = c.service_inspect().id(service).send().await?.into_inner();
            let mut spec = current.spec.ok_or("the service has no spec")?;
            change(&mut spec);
            let version = current
                .version
                .and_then(|v| v.index)
                .ok_or("the service has no version")?;
            c.service_update()
                .id(service)
                .version(i64::try_from(version)?)
                .body(spec)
                .send()
                .await?;
            Ok(())
        }
    });
    Ok(())
}

/// One task, as the watch prints it.
#[derive(PartialEq)]
struct TaskLine {
    slot: i64,
    id: String,
    node: String,
    state: String,
    desired: String,
    running: bool,
    env: String,
}

/// Prints the tasks each time they change, until `done` holds for them (or
/// [`STEP_TIMEOUT`] passes: an error).
async fn watch<F, Fut>(
    mut list: F,
    done: impl Fn(&[TaskLine]) -> bool,
) -> Result<(), Box<dyn std::error::Error>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Vec<TaskLine>, docker_engine_client::Error>>,
{
    let started = Instant::now();
    let mut shown: Vec<TaskLine> = Vec::new();
    loop {
        let tasks = list().await?;
        if tasks != shown {
            println!(
                "{:>5}  {:<12}  {:<12}  {:<10}  {:<10}  ENV",
                "SLOT", "TASK", "NODE", "STATE", "DESIRED"
            );
            for t in &tasks {
                println!(
                    "{:>5}  {:<12}  {:<12}  {:<10}  {:<10}  {}",
                    t.slot, t.id, t.node, t.state, t.desired, t.env
                );
            }
            println!();
        }
        if done(&tasks) {
            return Ok(());
        }
        if started.elapsed() > STEP_TIMEOUT {
            return Err(format!("not done after {} s", STEP_TIMEOUT.as_secs()).into());
        }
        shown = tasks;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
