//! The Modbus side: one TCP listener (or one RTU serial line, see
//! [`serve_rtu`]) serving several machines by unit id,
//! as a tokio-modbus server [`Service`]. Reads are answered from the
//! machine's current register image (a lock-free-for-the-clock snapshot),
//! so serving costs one range check and one copy per request.
//!
//! Answers: reads of coils, discrete inputs, holding and input registers;
//! exception 0x02 Illegal Data Address when any address of the request is
//! not in the layout, 0x03 Illegal Data Value for a quantity of 0 or above
//! the protocol maximum, 0x01 Illegal Function for every other function
//! (writes included: the simulator's machines are read-only), and 0x0B
//! Gateway Target Device Failed to Respond for a unit id this listener does
//! not serve (what a Modbus gateway answers for an absent device). On an RTU
//! line there is no gateway: a request to an absent unit id gets no answer
//! at all, as on a real RS-485 line, and the client times out.

use crate::simulator::Shared;
use mes_protocols::modbus::{Area, ExceptionCode as Exception};
use std::future::{Ready, ready};
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio_modbus::prelude::{ExceptionCode, Request, Response, SlaveRequest};
use tokio_modbus::server::Service;
use tokio_modbus::server::tcp::Server;
use tokio_util::sync::CancellationToken;

/// Which machine (index) answers each unit id on one listener.
#[derive(Debug, Clone)]
pub(crate) struct UnitTable(Arc<[Option<usize>; 256]>);

impl UnitTable {
    /// A table from `(unit id, machine index)` pairs.
    pub(crate) fn new(units: impl IntoIterator<Item = (u8, usize)>) -> Self {
        let mut table = [None; 256];
        for (unit, machine) in units {
            table[usize::from(unit)] = Some(machine);
        }
        Self(Arc::new(table))
    }

    fn machine(&self, unit: u8) -> Option<usize> {
        self.0[usize::from(unit)]
    }
}

/// The service of one connection (cheap to clone: two `Arc`s).
#[derive(Clone)]
struct MachineService {
    shared: Arc<Shared>,
    units: UnitTable,
    /// Whether requests to absent unit ids go unanswered (RTU) instead of
    /// answered with exception 0x0B (TCP, like a gateway).
    silent_for_absent_units: bool,
}

impl Service for MachineService {
    type Request = SlaveRequest<'static>;
    type Response = Option<Response>;
    type Exception = ExceptionCode;
    type Future = Ready<Result<Option<Response>, ExceptionCode>>;

    fn call(&self, req: Self::Request) -> Self::Future {
        if self.silent_for_absent_units && self.units.machine(req.slave).is_none() {
            return ready(Ok(None));
        }
        ready(
            self.answer(req.slave, &req.request)
                .map(Some)
                .map_err(|e| ExceptionCode::new(e.code())),
        )
    }
}

impl MachineService {
    fn answer(&self, unit: u8, request: &Request<'_>) -> Result<Response, Exception> {
        let (area, start, count) = match *request {
            Request::ReadCoils(start, count) => (Area::Coil, start, count),
            Request::ReadDiscreteInputs(start, count) => (Area::DiscreteInput, start, count),
            Request::ReadHoldingRegisters(start, count) => (Area::HoldingRegister, start, count),
            Request::ReadInputRegisters(start, count) => (Area::InputRegister, start, count),
            _ => return Err(Exception::IllegalFunction),
        };
        let machine = self
            .units
            .machine(unit)
            .ok_or(Exception::GatewayTargetDeviceFailedToRespond)?;
        let image = self
            .shared
            .image(machine)
            .ok_or(Exception::GatewayTargetDeviceFailedToRespond)?;
        let values = image.read(area, start, count)?;
        Ok(match area {
            Area::Coil => Response::ReadCoils(values.iter().map(|&v| v != 0).collect()),
            Area::DiscreteInput => Response::ReadDiscreteInputs(values.iter().map(|&v| v != 0).collect()),
            Area::HoldingRegister => Response::ReadHoldingRegisters(values.to_vec()),
            Area::InputRegister => Response::ReadInputRegisters(values.to_vec()),
        })
    }
}

/// Serves `listener` until `cancel`; dropping the server future also ends
/// every connection task it spawned.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    units: UnitTable,
    cancel: CancellationToken,
) {
    let address = listener.local_addr().ok();
    let service = MachineService {
        shared,
        units,
        silent_for_absent_units: false,
    };
    let on_connected = |stream: TcpStream, peer| {
        let service = service.clone();
        async move {
            tracing::debug!(%peer, "Modbus client connected");
            // Polls are small and frequent; do not batch them.
            let _ = stream.set_nodelay(true);
            Ok(Some((service, stream)))
        }
    };
    let on_process_error =
        |err: std::io::Error| tracing::debug!(%err, "Modbus connection ended with an error");
    let server = Server::new(listener);
    tokio::select! {
        result = server.serve(&on_connected, on_process_error) => {
            if let Err(err) = result {
                tracing::error!(?address, %err, "Modbus listener failed");
            }
        }
        () = cancel.cancelled() => {}
    }
    tracing::debug!(?address, "Modbus listener stopped");
}

/// Serves every machine by unit id as Modbus RTU on an open serial line
/// until `cancel` (RS-485 multidrop: one line, many unit ids).
pub(crate) async fn serve_rtu(
    serial: tokio_serial::SerialStream,
    shared: Arc<Shared>,
    units: UnitTable,
    cancel: CancellationToken,
) {
    let service = MachineService {
        shared,
        units,
        silent_for_absent_units: true,
    };
    let server = tokio_modbus::server::rtu::Server::new(serial);
    if let Err(err) = server.serve_until(service, cancel.cancelled_owned()).await {
        tracing::error!(%err, "Modbus RTU line failed");
    }
    tracing::debug!("Modbus RTU line stopped");
}
